package views

import (
	"github.com/IBM/sarama"
	"github.com/lovoo/goka"
)

// Option configures a Table.
type Option func(*options)

type options struct {
	onChange func(key string)
	consumer sarama.Consumer
	extra    []goka.ViewOption
}

// WithConsumer makes the view read its table through c instead of a
// consumer of its own. Views of different tables may share one: sarama
// fetches all the partitions it reads from a broker in one request, so
// three views make one fetch where they made three. The caller owns c and
// closes it after every view reading through it returned from Run (or was
// never run); c should be made with kafka.Config.SaramaBulk, as a view's
// own is.
func WithConsumer(c sarama.Consumer) Option {
	return func(o *options) { o.consumer = c }
}

// WithOnChange calls fn with the key of every row the view receives, during
// recovery and after. fn runs on the view's partition goroutines: it must not
// block and must be safe for concurrent use.
func WithOnChange(fn func(key string)) Option {
	return func(o *options) { o.onChange = fn }
}

// WithGokaOptions appends raw goka view options, such as goka.WithViewTester.
func WithGokaOptions(opts ...goka.ViewOption) Option {
	return func(o *options) { o.extra = append(o.extra, opts...) }
}
