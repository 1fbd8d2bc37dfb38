// `peer register id...`: registers each id for this process (port 20000+i), for the tests that
// race Go and TS writers on one services.json; then waits for stdin to close and unregisters.
package main

import (
	"fmt"
	"io"
	"os"
)

func runRegister(ids []string) error {
	home := registryHome()
	for i, id := range ids {
		if err := register(home, id, 20000+i); err != nil {
			return err
		}
	}
	fmt.Println("registered", len(ids))
	io.Copy(io.Discard, os.Stdin)
	for _, id := range ids {
		if err := unregister(home, id); err != nil {
			return err
		}
	}
	return nil
}
