package router

import (
	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/ideobus/ideobus/messages"
)

// RouteByType wraps pub so each message goes to the topic of its ce_type
// (next stage, failed, poison), falling back to the topic it was published
// to. Stage handlers return events of several types; this is what lets each
// of them be an ordinary message.HandlerFunc.
//
// Closing the returned publisher does not close pub: several handlers share it
// and Watermill closes a handler's publisher when the handler stops.
func RouteByType(pub message.Publisher, topics messages.Topics) message.Publisher {
	return typeRouter{pub: pub, topics: topics}
}

type typeRouter struct {
	pub    message.Publisher
	topics messages.Topics
}

func (r typeRouter) Publish(topic string, msgs ...*message.Message) error {
	for _, m := range msgs {
		t := r.topics.ForType(m.Metadata.Get(messages.HeaderType))
		if t == "" {
			t = topic
		}
		if err := r.pub.Publish(t, m); err != nil {
			return err
		}
	}
	return nil
}

func (typeRouter) Close() error { return nil }
