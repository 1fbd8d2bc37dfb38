package main

import (
	"fmt"
	"os"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: peer child [-app v3|v4] [-service id] | peer parent '<plan json>'")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "child":
		err = runChild(os.Args[2:])
	case "register":
		err = runRegister(os.Args[2:])
	case "parent":
		err = runParent(os.Args[2:])
	default:
		err = fmt.Errorf("unknown role %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "peer:", err)
		os.Exit(1)
	}
}
