// The registry as the public Go peer uses it: services.json in $MULTIFROST_HOME (or
// ~/.multifrost), guarded by services.lock (O_CREATE|O_EXCL, stale after 10 s), entries written
// as {port, pid, start_time}. Unlike the public peer it gives up when the lock can't be had, keeps
// other writers' entries byte for byte, and writes atomically.
package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

type goEntry struct {
	Port      int       `json:"port"`
	PID       int       `json:"pid"`
	StartTime time.Time `json:"start_time"`
}

func registryHome() string {
	if h := os.Getenv("MULTIFROST_HOME"); h != "" {
		return h
	}
	home, _ := os.UserHomeDir()
	return filepath.Join(home, ".multifrost")
}

func withLock(home string, fn func() error) error {
	if err := os.MkdirAll(home, 0o700); err != nil {
		return err
	}
	lock := filepath.Join(home, "services.lock")
	deadline := time.Now().Add(10 * time.Second)
	for {
		f, err := os.OpenFile(lock, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
		if err == nil {
			f.Close()
			break
		}
		if st, serr := os.Stat(lock); serr == nil && time.Since(st.ModTime()) > 10*time.Second {
			os.Remove(lock)
			continue
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("could not acquire %s within 10s", lock)
		}
		time.Sleep(10 * time.Millisecond)
	}
	defer os.Remove(lock)
	return fn()
}

func readRegistry(home string) (map[string]json.RawMessage, error) {
	entries := map[string]json.RawMessage{}
	b, err := os.ReadFile(filepath.Join(home, "services.json"))
	if errors.Is(err, os.ErrNotExist) || (err == nil && len(b) == 0) {
		return entries, nil
	}
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(b, &entries); err != nil {
		return nil, fmt.Errorf("services.json does not parse: %w", err)
	}
	return entries, nil
}

func writeRegistry(home string, entries map[string]json.RawMessage) error {
	b, err := json.MarshalIndent(entries, "", "  ")
	if err != nil {
		return err
	}
	tmp := filepath.Join(home, fmt.Sprintf(".services.json.%d.tmp", os.Getpid()))
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, filepath.Join(home, "services.json"))
}

func alive(pid int) bool {
	if pid <= 0 {
		return false
	}
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

func register(home, id string, port int) error {
	return withLock(home, func() error {
		entries, err := readRegistry(home)
		if err != nil {
			return err
		}
		if raw, ok := entries[id]; ok {
			var e goEntry
			if json.Unmarshal(raw, &e) == nil && alive(e.PID) && e.PID != os.Getpid() {
				return fmt.Errorf("Service '%s' already running (PID: %d, port: %d)", id, e.PID, e.Port)
			}
		}
		raw, _ := json.Marshal(goEntry{Port: port, PID: os.Getpid(), StartTime: time.Now().UTC()})
		entries[id] = raw
		return writeRegistry(home, entries)
	})
}

func unregister(home, id string) error {
	return withLock(home, func() error {
		entries, err := readRegistry(home)
		if err != nil {
			return err
		}
		var e goEntry
		if raw, ok := entries[id]; !ok || json.Unmarshal(raw, &e) != nil || e.PID != os.Getpid() {
			return nil
		}
		delete(entries, id)
		return writeRegistry(home, entries)
	})
}

// discover polls every 100 ms for a live entry, as every public peer does.
func discover(home, id string, timeout time.Duration) (int, error) {
	deadline := time.Now().Add(timeout)
	for {
		entries, err := readRegistry(home)
		if err == nil {
			var e goEntry
			if raw, ok := entries[id]; ok && json.Unmarshal(raw, &e) == nil && alive(e.PID) && e.Port > 0 {
				return e.Port, nil
			}
		}
		if time.Now().After(deadline) {
			return 0, fmt.Errorf("service '%s' not found within %v", id, timeout)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
