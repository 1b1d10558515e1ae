package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"sync"

	"github.com/ThreeDotsLabs/watermill/message"
	"golang.org/x/term"

	"github.com/ideobus/ideobus/messages"
)

// progress shows jobs by stage while a demo or `submit --wait` runs: one
// line redrawn in place on a terminal, plain lines otherwise (one per
// outcome, so logs and CI output stay readable).
type progress struct {
	mu    sync.Mutex
	w     io.Writer
	tty   bool
	total int
	state map[string]string
}

// jobStates in pipeline order.
var jobStates = []string{"requested", "generated", "uploaded", "resized", "completed", "failed"}

func newProgress(w io.Writer, ids []string) *progress {
	p := &progress{w: w, total: len(ids), state: map[string]string{}}
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		p.tty = true
	}
	for _, id := range ids {
		p.state[id] = "requested"
	}
	return p
}

// advance moves a job forward; events arriving late never move it back.
func (p *progress) advance(id, state string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	cur, ok := p.state[id]
	if !ok || rank(state) <= rank(cur) {
		return
	}
	p.state[id] = state
	if p.tty {
		fmt.Fprintf(p.w, "\r\033[K%s", p.line())
		if p.doneLocked() {
			fmt.Fprintln(p.w)
		}
		return
	}
	if state == "completed" || state == "failed" {
		fmt.Fprintf(p.w, "[%d/%d] %s %s\n", p.countLocked("completed")+p.countLocked("failed"), p.total, id, state)
	}
}

func (p *progress) line() string {
	parts := make([]string, 0, len(jobStates))
	for _, s := range jobStates {
		parts = append(parts, fmt.Sprintf("%s %d", s, p.countLocked(s)))
	}
	return fmt.Sprintf("jobs %d: %s", p.total, strings.Join(parts, " | "))
}

func (p *progress) countLocked(state string) int {
	n := 0
	for _, s := range p.state {
		if s == state {
			n++
		}
	}
	return n
}

func (p *progress) doneLocked() bool {
	return p.countLocked("completed")+p.countLocked("failed") == p.total
}

func rank(state string) int {
	for i, s := range jobStates {
		if s == state {
			return i
		}
	}
	return -1
}

// followStages feeds the stage topics' events into p until ctx ends.
func followStages(ctx context.Context, sub message.Subscriber, topics messages.Topics, p *progress) error {
	for state, topic := range map[string]string{"generated": topics.Generated, "uploaded": topics.Uploaded, "resized": topics.Resized} {
		ch, err := subscribe(ctx, sub, topic)
		if err != nil {
			return err
		}
		go func() {
			for m := range ch {
				m.Ack()
				p.advance(m.Metadata.Get(messages.HeaderSubject), state)
			}
		}()
	}
	return nil
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
