package protocol

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
)

// traceRecord is one command of the lab trace (testdata/README.md).
type traceRecord struct {
	ID     string `json:"id"`
	Cmd    string `json:"cmd"`
	Stdout string `json:"stdout"` // raw channel stdout, python-x2go markers
	Stderr string `json:"stderr"`
}

// loadTrace reads testdata/trace-commands.json.
func loadTrace(t testing.TB) []traceRecord {
	t.Helper()
	b, err := os.ReadFile("testdata/trace-commands.json")
	if err != nil {
		t.Fatal(err)
	}
	var recs []traceRecord
	if err := json.Unmarshal(b, &recs); err != nil {
		t.Fatal(err)
	}
	if len(recs) < 200 {
		t.Fatalf("only %d trace records", len(recs))
	}
	return recs
}

// traceWithPrefix returns the records whose inner command starts with prefix.
func traceWithPrefix(t testing.TB, prefix string) []traceRecord {
	t.Helper()
	var out []traceRecord
	for _, r := range loadTrace(t) {
		if strings.HasPrefix(r.Cmd, prefix) {
			out = append(out, r)
		}
	}
	if len(out) == 0 {
		t.Fatalf("no trace record starts with %q", prefix)
	}
	return out
}

// ourStdout turns python-x2go's raw stdout (END marker without status)
// into what our wrapper prints for the same answer (status 0).
func ourStdout(r traceRecord) []byte {
	end := endMarker + r.ID + "\n"
	return []byte(strings.Replace(r.Stdout, end, endMarker+r.ID+":0\n", 1))
}

// innerStdout returns the command's output between the markers.
func innerStdout(t testing.TB, r traceRecord) string {
	t.Helper()
	out, status, err := Unwrap(r.ID, ourStdout(r))
	if err != nil || status != 0 {
		t.Fatalf("Unwrap(%s): %v, status %d", r.Cmd, err, status)
	}
	return out
}
