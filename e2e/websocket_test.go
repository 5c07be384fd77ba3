package e2e

import (
	"context"
	"sync"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// wsFrame is one WebSocket text frame of a page, in either direction.
type wsFrame struct {
	Sent bool
	Data string
}

// recordWebSocket records the page's WebSocket frames from now on, in the
// order the browser reports them; the func returned gives those so far.
func (p *page) recordWebSocket() func() []wsFrame {
	p.t.Helper()
	var mu sync.Mutex
	var frames []wsFrame
	err := chromedp.Listen(p.ctx, func(ev any) {
		var f wsFrame
		switch ev := ev.(type) {
		case *network.EventWebSocketFrameSent:
			f = wsFrame{Sent: true, Data: string(ev.Response.PayloadData)}
		case *network.EventWebSocketFrameReceived:
			f = wsFrame{Data: string(ev.Response.PayloadData)}
		default:
			return
		}
		mu.Lock()
		frames = append(frames, f)
		mu.Unlock()
	})
	if err != nil {
		p.t.Fatalf("%s: listen: %v", p.name, err)
	}
	ctx, cancel := context.WithTimeout(p.ctx, stepTimeout)
	defer cancel()
	if _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); err != nil {
		p.t.Fatalf("%s: enable network events: %v", p.name, err)
	}
	return func() []wsFrame {
		mu.Lock()
		defer mu.Unlock()
		return append([]wsFrame(nil), frames...)
	}
}

// ------------------------------------------------------------------ proxy
