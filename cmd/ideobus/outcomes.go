package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/ideobus/ideobus/messages"
)

// outcome is one decoded ideogram.generation.completed or .failed event.
type outcome struct {
	msg       *message.Message
	requestID string
	completed *messages.GenerationCompleted
	failed    *messages.GenerationFailed
}

// subscribeOutcomes merges the completed and failed topics into one channel
// of decoded outcomes. Messages are acked as they are read. The channel closes
// when ctx ends or the subscriber closes.
func subscribeOutcomes(ctx context.Context, sub message.Subscriber, topics messages.Topics) (<-chan outcome, error) {
	out := make(chan outcome)
	var chans []<-chan *message.Message
	for _, t := range topics.Outcomes() {
		ch, err := subscribe(ctx, sub, t)
		if err != nil {
			return nil, err
		}
		chans = append(chans, ch)
	}
	done := make(chan struct{}, len(chans))
	for _, ch := range chans {
		go func() {
			defer func() { done <- struct{}{} }()
			for m := range ch {
				m.Ack()
				o, ok := decodeOutcome(m)
				if !ok {
					continue
				}
				select {
				case out <- o:
				case <-ctx.Done():
					return
				}
			}
		}()
	}
	go func() {
		for range chans {
			<-done
		}
		close(out)
	}()
	return out, nil
}

func decodeOutcome(m *message.Message) (outcome, bool) {
	o := outcome{msg: m}
	switch m.Metadata.Get(messages.HeaderType) {
	case messages.TypeCompleted:
		var c messages.GenerationCompleted
		if messages.Decode(m, messages.TypeCompleted, &c) != nil {
			return o, false
		}
		o.completed, o.requestID = &c, c.RequestID
	case messages.TypeFailed:
		var f messages.GenerationFailed
		if messages.Decode(m, messages.TypeFailed, &f) != nil {
			return o, false
		}
		o.failed, o.requestID = &f, f.RequestID
	default:
		return o, false
	}
	return o, true
}

// print writes the outcome as one CloudEvents structured JSON line, or as a
// short human summary.
func (o outcome) print(w io.Writer, asJSON bool) error {
	if asJSON {
		b, err := messages.Structured(o.msg)
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(w, "%s\n", b)
		return err
	}
	if f := o.failed; f != nil {
		_, err := fmt.Fprintf(w, "FAILED    %s  stage=%s code=%s retryable=%v attempts=%d\n          %s\n", f.RequestID, f.Stage, f.Code, f.Retryable, f.Attempts, f.Message)
		return err
	}
	c := o.completed
	var b strings.Builder
	fmt.Fprintf(&b, "COMPLETED %s  %q\n", c.RequestID, c.Prompt)
	for _, im := range c.Images {
		if im.Original == nil {
			fmt.Fprintf(&b, "  image %d: filtered by safety check\n", im.Index)
			continue
		}
		fmt.Fprintf(&b, "  image %d  original  %s\n", im.Index, im.Original.URL)
		for _, v := range im.Variants {
			fmt.Fprintf(&b, "           %-15s %dx%d %s\n", v.Name, v.Width, v.Height, v.URL)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// subscribe retries briefly: right after a topic is created its partition
// leaders may still be moving, which a group-less consumer sees as an error.
func subscribe(ctx context.Context, sub message.Subscriber, topic string) (<-chan *message.Message, error) {
	var err error
	for attempt := 0; attempt < 5; attempt++ {
		var ch <-chan *message.Message
		if ch, err = sub.Subscribe(ctx, topic); err == nil {
			return ch, nil
		}
		select {
		case <-time.After(time.Duration(attempt+1) * 300 * time.Millisecond):
		case <-ctx.Done():
			return nil, runtimeErr(ctx.Err())
		}
	}
	return nil, runtimeErr(fmt.Errorf("subscribe %s: %w", topic, err))
}
