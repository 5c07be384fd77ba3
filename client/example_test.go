package client_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/chatstate/chatstate/client"
)

// A bot joins a room, posts a message and reads it back from the room's
// stream; a second user's join and message follow.
func Example() {
	url, stop := exampleServer() // a broker, the processors and a server
	defer stop()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	bot, err := client.Dial(ctx, client.Options{URL: url, User: "bot"})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer bot.Close()
	room, err := bot.Join(ctx, "lobby", client.JoinOptions{History: 20})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("history:", len(room.Snapshot().Events), "messages")
	if _, err := room.Send(ctx, "hello, I am a bot"); err != nil {
		fmt.Println(err)
		return
	}

	alice, err := client.Dial(ctx, client.Options{URL: url, User: "alice"})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer alice.Close()
	ar, err := alice.Join(ctx, "lobby", client.JoinOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	if _, err := ar.Send(ctx, "hi bot"); err != nil {
		fmt.Println(err)
		return
	}

	for u := range room.Updates() {
		if u.Kind != client.EventUpdate {
			continue
		}
		e := u.Entry.Event
		fmt.Println(strings.TrimSpace(e.Type + " " + e.User + " " + e.Text))
		if e.Text == "hi bot" {
			break
		}
	}
	fmt.Println("members:", room.Members())
	// Output:
	// history: 0 messages
	// join bot
	// message bot hello, I am a bot
	// join alice
	// message alice hi bot
	// members: [{alice 1} {bot 1}]
}

// Errors of the server are *client.Error values, compared by code.
func ExampleError() {
	url, stop := exampleServer()
	defer stop()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	bot, err := client.Dial(ctx, client.Options{URL: url, User: "bot"})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer bot.Close()
	_, err = bot.Join(ctx, "not a room name", client.JoinOptions{})
	var ce *client.Error
	if errors.As(err, &ce) {
		fmt.Println("refused:", ce.Code)
	}
	// Output:
	// refused: bad_request
}
