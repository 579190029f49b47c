package broker_test

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/x2go-go/x2go/broker"
)

// seedAnswers adds every captured and constructed answer as a seed, once
// per task. testdata/fuzz/FuzzX holds inputs the fuzzer found.
func seedAnswers(f *testing.F) {
	for _, dir := range []string{"answers", "constructed"} {
		files, err := filepath.Glob(filepath.Join("testdata", dir, "*.txt"))
		if err != nil || len(files) == 0 {
			f.Fatalf("no seeds in testdata/%s: %v", dir, err)
		}
		for _, file := range files {
			data, err := os.ReadFile(file)
			if err != nil {
				f.Fatal(err)
			}
			for task := range 3 {
				f.Add(uint8(task), data)
			}
		}
	}
}

var tasks = []broker.Task{broker.TaskAuth, broker.TaskList, broker.TaskSelect}

// checkAnswer holds for any input: no panic, only the documented errors,
// a consistent Answer, nothing secret in the texts.
func checkAnswer(t *testing.T, task broker.Task, data []byte, ans *broker.Answer, err error) {
	if err != nil && !errors.Is(err, broker.ErrAuthFailed) && !errors.Is(err, broker.ErrMalformed) {
		t.Fatalf("error matches neither ErrAuthFailed nor ErrMalformed: %v", err)
	}
	if errors.Is(err, broker.ErrAuthFailed) && ans != nil {
		t.Fatalf("refused, yet an Answer: %+v", ans)
	}
	if ans == nil {
		if err == nil {
			t.Fatal("no Answer and no error")
		}
		return
	}
	if strings.ContainsAny(ans.AuthID, "\n") {
		t.Fatalf("AuthID with a line break: %q", ans.AuthID)
	}
	if task == broker.TaskList {
		if ans.Profiles == nil {
			t.Fatal("listing without Profiles")
		}
		for _, p := range ans.Profiles.Profiles() {
			p.Params() // must not panic
		}
	}
	if s := ans.Selection; s != nil {
		if task != broker.TaskSelect || err != nil {
			t.Fatalf("Selection for task %s with error %v", task, err)
		}
		if s.Server == "" || s.Port < 0 || s.Port > 65535 {
			t.Fatalf("bad selection %q %d", s.Server, s.Port)
		}
		if len(s.PrivateKey) > 0 {
			if _, err := s.Signer(); err != nil {
				if !strings.Contains(err.Error(), "passphrase") {
					t.Fatalf("key accepted but not usable: %v", err)
				}
			}
			if text := fmt.Sprintf("%v %+v %#v", *s, *s, *s); bytes.Contains([]byte(text), s.PrivateKey) {
				t.Fatal("private key printed")
			}
		}
	}
}

func FuzzParsePlain(f *testing.F) {
	seedAnswers(f)
	f.Add(uint8(2), []byte("Access granted\nSERVER:[::1\n"))
	f.Add(uint8(1), []byte("Access granted\nSTART_USER_SESSIONS\n[a]<br>k=\"v\nEND_USER_SESSIONS\n"))
	f.Fuzz(func(t *testing.T, task uint8, data []byte) {
		tk := tasks[int(task)%len(tasks)]
		ans, err := broker.ParsePlain(tk, data)
		checkAnswer(t, tk, data, ans, err)
	})
}

func FuzzParseJSON(f *testing.F) {
	seedAnswers(f)
	f.Add(uint8(1), []byte(`{"profiles": {"a": {"host": ["x", 1, true], "k": 1.5, "n": null}, "General": {}}}`))
	f.Add(uint8(2), []byte(`{"selected_session": {"server": "h", "port": 70000}}`))
	f.Fuzz(func(t *testing.T, task uint8, data []byte) {
		tk := tasks[int(task)%len(tasks)]
		ans, err := broker.ParseJSON(tk, data)
		checkAnswer(t, tk, data, ans, err)
	})
}
