// The parent role: `peer parent '<plan>'` spawns a worker (DEALER binds, the child gets
// COMLINK_ZMQ_PORT) or connects to a registered service, runs the plan's calls and prints one
// JSON line per event, so a test can read what a Go caller saw.
//
// plan: {"spawn": [argv...]} or {"connect": "id", "home": "..."}, "app": "v3"|"v4",
//
//	"calls": [[function, [args...]], ...], "concurrent": bool, "timeout_ms": n, "env": {...}
//
// lines: {"child_pid": n} · {"ready": true} · {"i": n, "ok": true, "result": describe(v)} ·
//
//	{"i": n, "ok": false, "error": "..."} · {"stream": "stdout"|"stderr", "output": "..."}
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"sync"
	"time"

	"github.com/go-zeromq/zmq4"
)

type plan struct {
	Spawn      []string          `json:"spawn"`
	Connect    string            `json:"connect"`
	Home       string            `json:"home"`
	App        string            `json:"app"`
	Calls      [][2]any          `json:"calls"`
	Concurrent bool              `json:"concurrent"`
	TimeoutMs  int               `json:"timeout_ms"`
	Env        map[string]string `json:"env"`
}

type parent struct {
	app     string
	sock    zmq4.Socket
	sendMu  sync.Mutex
	mu      sync.Mutex
	pending map[string]chan *Message
	exited  error
	outMu   sync.Mutex
}

func (p *parent) emit(v any) {
	b, _ := json.Marshal(v)
	p.outMu.Lock()
	defer p.outMu.Unlock()
	os.Stdout.Write(append(b, '\n'))
}

func runParent(args []string) error {
	if len(args) != 1 {
		return errors.New("parent takes one JSON plan")
	}
	var pl plan
	if err := json.Unmarshal([]byte(args[0]), &pl); err != nil {
		return err
	}
	timeout := 30 * time.Second
	if pl.TimeoutMs > 0 {
		timeout = time.Duration(pl.TimeoutMs) * time.Millisecond
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	p := &parent{app: appID(pl.App), sock: zmq4.NewDealer(ctx, zmq4.WithDialerRetry(100*time.Millisecond)), pending: map[string]chan *Message{}}
	defer p.sock.Close()

	var cmd *exec.Cmd
	if len(pl.Spawn) > 0 {
		if err := p.sock.Listen("tcp://127.0.0.1:0"); err != nil {
			return err
		}
		port := p.sock.Addr().(*net.TCPAddr).Port
		cmd = exec.Command(pl.Spawn[0], pl.Spawn[1:]...)
		cmd.Env = append(os.Environ(), fmt.Sprintf("COMLINK_ZMQ_PORT=%d", port), "COMLINK_WORKER_MODE=1")
		for k, v := range pl.Env {
			cmd.Env = append(cmd.Env, k+"="+v)
		}
		// The public Go parent inherits stdio; the child's own stdout goes to our stderr here so
		// that our stdout stays one JSON event per line.
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		if err := cmd.Start(); err != nil {
			return err
		}
		p.emit(map[string]any{"child_pid": cmd.Process.Pid})
		go func() {
			err := cmd.Wait()
			p.fail(fmt.Errorf("WORKER_EXITED: worker exited (%v)", err))
		}()
		defer cmd.Process.Kill()
	} else {
		home := pl.Home
		if home == "" {
			home = registryHome()
		}
		port, err := discover(home, pl.Connect, 5*time.Second)
		if err != nil {
			return err
		}
		if err := p.sock.Dial(fmt.Sprintf("tcp://127.0.0.1:%d", port)); err != nil {
			return err
		}
	}
	go p.receive()
	if err := p.ready(10 * time.Second); err != nil {
		return err
	}
	p.emit(map[string]any{"ready": true})

	var wg sync.WaitGroup
	for i, c := range pl.Calls {
		fn, _ := c[0].(string)
		callArgs, _ := c[1].([]any)
		run := func(i int) {
			defer wg.Done()
			res, err := p.call(fn, callArgs, timeout)
			if err != nil {
				p.emit(map[string]any{"i": i, "ok": false, "error": err.Error()})
			} else {
				p.emit(map[string]any{"i": i, "ok": true, "result": describe(res)})
			}
		}
		wg.Add(1)
		if pl.Concurrent {
			go run(i)
		} else {
			run(i)
		}
	}
	wg.Wait()
	if cmd != nil {
		p.send(&Message{Type: "shutdown", ID: newID()})
		deadline := time.Now().Add(3 * time.Second)
		for time.Now().Before(deadline) && p.exitErr() == nil {
			time.Sleep(20 * time.Millisecond)
		}
	}
	return nil
}

func (p *parent) exitErr() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.exited
}

func (p *parent) fail(err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.exited = err
	for id, ch := range p.pending {
		delete(p.pending, id)
		ch <- &Message{Type: "error", Error: err.Error()}
	}
}

func (p *parent) receive() {
	for {
		m, err := p.sock.Recv()
		if err != nil {
			return
		}
		if len(m.Frames) < 2 {
			continue
		}
		reply, err := decode(m.Frames[1])
		if err != nil || reply.App != p.app || reply.ID == "" {
			continue
		}
		switch reply.Type {
		case "stdout", "stderr":
			p.emit(map[string]any{"stream": reply.Type, "output": reply.Output})
			continue
		}
		p.mu.Lock()
		ch := p.pending[reply.ID]
		delete(p.pending, reply.ID)
		p.mu.Unlock()
		if ch != nil {
			ch <- reply
		}
	}
}

func (p *parent) send(m *Message) error {
	m.App, m.Timestamp = p.app, now()
	b, err := encode(m)
	if err != nil {
		return err
	}
	p.sendMu.Lock()
	defer p.sendMu.Unlock()
	return p.sock.Send(zmq4.NewMsgFrom(nil, b))
}

func (p *parent) request(m *Message, timeout time.Duration) (*Message, error) {
	ch := make(chan *Message, 1)
	p.mu.Lock()
	if p.exited != nil {
		p.mu.Unlock()
		return nil, p.exited
	}
	p.pending[m.ID] = ch
	p.mu.Unlock()
	sent := make(chan error, 1)
	go func() { sent <- p.send(m) }()
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	for {
		select {
		case err := <-sent:
			if err != nil {
				return nil, err
			}
		case r := <-ch:
			return r, nil
		case <-timer.C:
			p.mu.Lock()
			delete(p.pending, m.ID)
			p.mu.Unlock()
			return nil, fmt.Errorf("TIMEOUT: %s after %v", m.Function, timeout)
		}
	}
}

// ready probes with heartbeats until one is answered: no public peer has a ready message.
func (p *parent) ready(limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		r, err := p.request(&Message{Type: "heartbeat", ID: newID(), Metadata: map[string]any{"hb_timestamp": now()}}, 500*time.Millisecond)
		if err == nil && r.Type == "heartbeat" {
			return nil
		}
		if e := p.exitErr(); e != nil {
			return e
		}
	}
	return fmt.Errorf("no heartbeat reply within %v", limit)
}

func (p *parent) call(fn string, args []any, timeout time.Duration) (any, error) {
	if args == nil {
		args = []any{}
	}
	r, err := p.request(&Message{Type: "call", ID: newID(), Function: fn, Args: args, Namespace: "default"}, timeout)
	if err != nil {
		return nil, err
	}
	if r.Type == "error" {
		return nil, errors.New(r.Error)
	}
	return r.Result, nil
}
