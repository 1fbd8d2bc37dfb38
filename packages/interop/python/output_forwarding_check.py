"""Checks the Python service's output forwarder without a socket: opt-in rules, bounds, stream restore.

Run by python-proof.test.ts; prints one JSON line of findings, which the test compares.
"""
import json
import sys
import threading

from multifrost_worker.output_forwarding import OutputForwarder


def main():
    now = [0.0]
    wakes = []
    f = OutputForwarder(lambda: wakes.append(1), max_subscribers=2, idle_seconds=30, max_queued_lines=3,
                        clock=lambda: now[0])
    beat = lambda app, **meta: {"app": app, "type": "heartbeat", "id": "x", "metadata": meta}  # noqa: E731
    f.note_message(b"stranger", beat("comlink_ipc_v3"))
    f.note_message(b"echo", beat("comlink_ipc_v3", mf_output=True, hb_response=True))
    f.note_message(b"a", beat("comlink_ipc_v3", mf_output=True))
    f.note_message(b"b", beat("comlink_ipc_v4", mf_output=True))
    f.note_message(b"c", beat("comlink_ipc_v4", mf_output=True))  # full: refused, nobody evicted
    f.note_message(b"a", beat("comlink_ipc_v4"))  # a known subscriber renews and switches app id
    stdout, stderr = sys.stdout, sys.stderr
    f.install()
    installed = sys.stdout is not stdout and sys.stderr is not stderr
    sys.stdout.write("one\r\ntw")
    sys.stdout.write("o\n\n")
    # One write per line: print() writes the text and the newline separately, so two threads printing
    # at once can make one line "t0t1" (as on a terminal), which made this check flaky under load.
    threads = [threading.Thread(target=sys.stderr.write, args=("t%d\n" % i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    sys.stdout.write("dropped\n")
    f.uninstall()
    restored = sys.stdout is stdout and sys.stderr is stderr
    # Which of the two threads got the last free slot is up to the scheduler.
    sent = sorted((peer.decode(), m["app"], m["type"], m["output"].rstrip("01")) for peer, m in f.drain())
    now[0] = 31.0
    f.note_message(b"b", beat("comlink_ipc_v4"))
    f.note_message(b"d", beat("comlink_ipc_v3", mf_output=True))  # a is idle by now: dropped to make room
    after_idle = sorted(p.decode() for p in f._subscribers)
    f.note_message(b"b", beat("comlink_ipc_v4", mf_output=False))
    print(json.dumps({
        "installed": installed, "restored": restored, "refused": f.refused, "dropped": f.dropped,
        "woken": len(wakes) > 0, "sent": sent, "after_idle": after_idle,
        "subscribers": f.subscriber_count,
    }), flush=True)


if __name__ == "__main__":
    main()
