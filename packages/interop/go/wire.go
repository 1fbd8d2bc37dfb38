// Package main is the interop suite's Go peer: one binary, `peer child` (a ROUTER worker) and
// `peer parent` (a DEALER caller), built on the public Go peer's stacks (go-zeromq/zmq4 and
// vmihailenco/msgpack/v5). This file holds the message shape and its encoding, which follow the
// public Go peer: a tagged struct, maps on the wire, optional keys omitted when empty.
package main

import (
	"crypto/rand"
	"encoding/hex"
	"flag"
	"fmt"
	"time"

	"github.com/vmihailenco/msgpack/v5"
)

type Message struct {
	App        string         `msgpack:"app"`
	ID         string         `msgpack:"id"`
	Type       string         `msgpack:"type"`
	Timestamp  float64        `msgpack:"timestamp"`
	Function   string         `msgpack:"function,omitempty"`
	Args       []any          `msgpack:"args,omitempty"`
	Namespace  string         `msgpack:"namespace,omitempty"`
	Result     any            `msgpack:"result,omitempty"`
	Error      string         `msgpack:"error,omitempty"`
	Output     string         `msgpack:"output,omitempty"`
	ClientName string         `msgpack:"client_name,omitempty"`
	Metadata   map[string]any `msgpack:"metadata,omitempty"`
}

// The public Go peer refuses messages over 10 MB; so does this one.
const maxMessageBytes = 10 * 1024 * 1024

func appFlag(fs *flag.FlagSet) *string {
	return fs.String("app", "v4", "protocol version: v3 (comlink_ipc_v3) or v4 (comlink_ipc_v4)")
}

func appID(v string) string {
	if v == "v3" || v == "comlink_ipc_v3" {
		return "comlink_ipc_v3"
	}
	return "comlink_ipc_v4"
}

func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return hex.EncodeToString(b[:])
}

func now() float64 { return float64(time.Now().UnixNano()) / 1e9 }

func encode(m *Message) ([]byte, error) { return msgpack.Marshal(m) }

func decode(b []byte) (*Message, error) {
	if len(b) > maxMessageBytes {
		return nil, fmt.Errorf("message of %d bytes over the limit", len(b))
	}
	var m Message
	if err := msgpack.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	return &m, nil
}
