// The child's callable methods. Names are lower-case here so the TS tests can share one API
// with the Python peer; the public Go peer dispatches by exported (capitalised) method name.
package main

import (
	"fmt"
	"math"
	"os"
	"time"
)

// NamedError gives a Go error the "<Name>: <message>" text every peer parses for the remote type.
type NamedError struct{ Name, Msg string }

func (e NamedError) Error() string { return e.Name + ": " + e.Msg }

type method func(args []any) (any, error)

var methods = map[string]method{
	"add": func(a []any) (any, error) {
		if err := arity(a, 2); err != nil {
			return nil, err
		}
		x, xi := asInt(a[0])
		y, yi := asInt(a[1])
		if xi && yi {
			return x + y, nil // int64: always 0xd3 on the wire, as the public Go peer sends it
		}
		return asFloat(a[0]) + asFloat(a[1]), nil
	},
	"echo": func(a []any) (any, error) {
		if err := arity(a, 1); err != nil {
			return nil, err
		}
		return a[0], nil
	},
	"describe": func(a []any) (any, error) {
		if err := arity(a, 1); err != nil {
			return nil, err
		}
		return describe(a[0]), nil
	},
	"values": func(a []any) (any, error) {
		return []any{
			nil, true, 7, -5, int64(1) << 40, int64(math.MaxInt64), uint64(math.MaxUint64),
			1.5, "", "héllo 🌍", []byte{0, 255}, []any{}, []any{1, []any{2}},
			map[string]any{}, map[string]any{"a": map[string]any{"b": 1}},
			time.UnixMilli(1_700_000_000_000).UTC(),
		}, nil
	},
	"fail": func(a []any) (any, error) {
		msg, _ := first(a).(string)
		return nil, NamedError{"ValueError", msg}
	},
	// burn keeps one core busy for ms milliseconds: the worker is alive but cannot answer.
	"burn": func(a []any) (any, error) {
		ms, _ := asInt(first(a))
		end := time.Now().Add(time.Duration(ms) * time.Millisecond)
		n := int64(0)
		for time.Now().Before(end) {
			for i := 0; i < 100_000; i++ {
				n++
			}
		}
		return n, nil
	},
	"sleep": func(a []any) (any, error) {
		ms, _ := asInt(first(a))
		time.Sleep(time.Duration(ms) * time.Millisecond)
		return ms, nil
	},
	"shout": func(a []any) (any, error) {
		text, _ := first(a).(string)
		fmt.Println(text)
		fmt.Fprintln(os.Stderr, "err:"+text)
		return len(text), nil
	},
	"pid": func(a []any) (any, error) { return os.Getpid(), nil },
}

func arity(a []any, n int) error {
	if len(a) != n {
		return NamedError{"TypeError", fmt.Sprintf("expected %d arguments, got %d", n, len(a))}
	}
	return nil
}

func first(a []any) any {
	if len(a) == 0 {
		return nil
	}
	return a[0]
}

func asInt(v any) (int64, bool) {
	switch x := v.(type) {
	case int8:
		return int64(x), true
	case int16:
		return int64(x), true
	case int32:
		return int64(x), true
	case int64:
		return x, true
	case int:
		return int64(x), true
	case uint8:
		return int64(x), true
	case uint16:
		return int64(x), true
	case uint32:
		return int64(x), true
	case uint64:
		return int64(x), x <= math.MaxInt64
	case float64:
		return int64(x), false
	}
	return 0, false
}

func asFloat(v any) float64 {
	if i, ok := asInt(v); ok {
		return float64(i)
	}
	switch x := v.(type) {
	case float64:
		return x
	case float32:
		return float64(x)
	}
	return math.NaN()
}

// describe reports a value as Go decoded it: its dynamic type and a printed form.
func describe(v any) map[string]any {
	d := map[string]any{"type": fmt.Sprintf("%T", v)}
	switch x := v.(type) {
	case nil:
		d["type"] = "nil"
	case []byte:
		d["repr"] = fmt.Sprintf("%x", x)
	case time.Time:
		d["repr"] = x.UTC().Format(time.RFC3339Nano)
	case []any:
		items := make([]any, len(x))
		for i, e := range x {
			items[i] = describe(e)
		}
		d["items"] = items
	case map[string]any:
		items := map[string]any{}
		for k, e := range x {
			items[k] = describe(e)
		}
		d["items"] = items
	default:
		d["repr"] = fmt.Sprintf("%v", x)
	}
	return d
}
