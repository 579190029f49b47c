package mimebox_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/x2go-go/x2go/mimebox"
)

// Example saves PDF and ODT files the server offers into ~/Downloads and
// reports everything else.
func Example() {
	sessionDir := filepath.Join(os.TempDir(), "x2go-example", "S-demo")
	w, err := mimebox.New(mimebox.Config{
		Dir:        filepath.Join(sessionDir, "mimebox"), // the server's X2GO_MIMEBOX
		Action:     mimebox.SaveAs,
		Extensions: []string{"pdf", "odt"},
		OnDone: func(f mimebox.File, res mimebox.Result) {
			fmt.Println("received", f.Name, "as", res.Output)
		},
		OnError: func(err error) {
			if errors.Is(err, mimebox.ErrRejected) {
				fmt.Println("refused:", err)
			}
		},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer w.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go w.Run(ctx)
}

// ExampleWatcher_Allowed shows python-x2go's extension rules: the
// blacklist always wins; an empty whitelist allows everything else.
func ExampleWatcher_Allowed() {
	dir, _ := os.MkdirTemp("", "mimebox-example-")
	defer os.RemoveAll(dir)
	w, err := mimebox.New(mimebox.Config{Dir: filepath.Join(dir, "box")})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer w.Close()
	for _, name := range []string{"slides.pdf", "setup.sh", "README"} {
		if ok, reason := w.Allowed(name); ok {
			fmt.Println(name, "allowed")
		} else {
			fmt.Println(name, "refused:", reason)
		}
	}
	// Output:
	// slides.pdf allowed
	// setup.sh refused: extension .SH is blacklisted
	// README allowed
}
