// The child role: a ROUTER that connects to COMLINK_ZMQ_PORT (spawn mode) or binds and registers
// a service id (connect mode), then handles one message at a time like every public child.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/go-zeromq/zmq4"
)

type child struct {
	app    string
	sock   zmq4.Socket
	sendMu sync.Mutex
	// lastPeer is where forwarded output goes: the public Go child sends it to the last sender.
	lastPeer []byte
	peerMu   sync.Mutex
}

func runChild(args []string) error {
	fs := flag.NewFlagSet("child", flag.ExitOnError)
	app := appFlag(fs)
	service := fs.String("service", os.Getenv("MF_SERVICE_ID"), "service id to register (connect mode)")
	fs.Parse(args)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c := &child{app: appID(*app), sock: zmq4.NewRouter(ctx, zmq4.WithDialerRetry(100*time.Millisecond))}
	defer c.sock.Close()

	home := registryHome()
	port := os.Getenv("COMLINK_ZMQ_PORT")
	if port != "" {
		p, err := strconv.Atoi(port)
		if err != nil || p < 1024 || p > 65535 {
			return fmt.Errorf("invalid port '%s'", port)
		}
		if err := c.sock.Dial("tcp://127.0.0.1:" + port); err != nil {
			return err
		}
	} else {
		if *service == "" {
			return errors.New("no COMLINK_ZMQ_PORT and no -service: nothing to do")
		}
		if err := c.sock.Listen("tcp://127.0.0.1:0"); err != nil {
			return err
		}
		p := c.sock.Addr().(*net.TCPAddr).Port
		if err := register(home, *service, p); err != nil {
			return err
		}
		defer unregister(home, *service)
		fmt.Printf("Service '%s' ready on port %d\n", *service, p)
	}

	restore := c.forwardOutput()
	defer restore()

	done := make(chan struct{})
	var once sync.Once
	stop := func() { once.Do(func() { close(done) }) }
	// Unlike the public Go child, SIGTERM ends the worker (and unregisters it).
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT)
	go func() { <-sigs; stop() }()
	// A spawned worker must not outlive whoever spawned it.
	if port != "" {
		go watchParent(os.Getppid(), stop)
	}

	msgs := make(chan zmq4.Msg)
	go func() {
		for {
			m, err := c.sock.Recv()
			if err != nil {
				stop()
				return
			}
			msgs <- m
		}
	}()
	for {
		select {
		case <-done:
			return nil
		case m := <-msgs:
			if c.handle(m) {
				stop()
			}
		}
	}
}

func watchParent(ppid int, stop func()) {
	for range time.Tick(500 * time.Millisecond) {
		if os.Getppid() != ppid {
			stop()
			return
		}
	}
}

// handle answers one message; it reports true for a shutdown.
func (c *child) handle(m zmq4.Msg) bool {
	if len(m.Frames) < 3 {
		return false
	}
	peer := m.Frames[0]
	req, err := decode(m.Frames[2])
	if err != nil || req.App != c.app || req.ID == "" {
		return false
	}
	c.peerMu.Lock()
	c.lastPeer = append([]byte(nil), peer...)
	c.peerMu.Unlock()
	switch req.Type {
	case "shutdown":
		return true
	case "heartbeat":
		ts, _ := req.Metadata["hb_timestamp"]
		if ts == nil {
			ts = 0.0
		}
		c.send(peer, &Message{Type: "heartbeat", ID: req.ID, Metadata: map[string]any{"hb_timestamp": ts, "hb_response": true}})
	case "call":
		c.send(peer, c.call(req))
	}
	return false
}

func (c *child) call(req *Message) *Message {
	fail := func(err error) *Message { return &Message{Type: "error", ID: req.ID, Error: err.Error()} }
	if req.Namespace != "" && req.Namespace != "default" {
		return fail(fmt.Errorf("Namespace mismatch: expected 'default', got '%s'", req.Namespace))
	}
	if strings.HasPrefix(req.Function, "_") {
		return fail(fmt.Errorf("Cannot call private method '%s'", req.Function))
	}
	fn, ok := methods[req.Function]
	if !ok {
		return fail(fmt.Errorf("Function '%s' not found", req.Function))
	}
	result, err := fn(req.Args)
	if err != nil {
		return fail(err)
	}
	return &Message{Type: "response", ID: req.ID, Result: result}
}

func (c *child) send(peer []byte, m *Message) {
	m.App, m.Timestamp = c.app, now()
	b, err := encode(m)
	if err != nil {
		b, _ = encode(&Message{App: c.app, ID: m.ID, Type: "error", Timestamp: now(), Error: "EncodeError: " + err.Error()})
	}
	c.sendMu.Lock()
	defer c.sendMu.Unlock()
	_ = c.sock.Send(zmq4.NewMsgFrom(peer, nil, b))
}

// forwardOutput swaps os.Stdout/os.Stderr for pipes and sends each line to the last sender, as
// the public Go child does (it sends 4 KiB chunks; lines are what every parent prints).
func (c *child) forwardOutput() func() {
	realOut, realErr := os.Stdout, os.Stderr
	pipe := func(kind string, real *os.File) *os.File {
		r, w, err := os.Pipe()
		if err != nil {
			return real
		}
		go func() {
			sc := bufio.NewScanner(r)
			sc.Buffer(make([]byte, 4096), 1<<20)
			for sc.Scan() {
				c.peerMu.Lock()
				peer := c.lastPeer
				c.peerMu.Unlock()
				if peer == nil {
					fmt.Fprintln(real, sc.Text())
					continue
				}
				c.send(peer, &Message{Type: kind, ID: newID(), Output: sc.Text()})
			}
		}()
		return w
	}
	os.Stdout, os.Stderr = pipe("stdout", realOut), pipe("stderr", realErr)
	return func() { os.Stdout, os.Stderr = realOut, realErr }
}
