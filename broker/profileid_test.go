package broker_test

import (
	"errors"
	"reflect"
	"testing"

	"github.com/x2go-go/x2go/broker"
)

// A JSON listing drops each profile whose ID cannot be a section of a
// sessions file, or holds a control character, and keeps the others.
func TestJSONProfileIDs(t *testing.T) {
	data := `{"profiles": {"ok": {"name": "OK"}, "": {}, "none": {}, "GENERAL": {}, "a/b": {}, "a\\b": {}, "tab\there": {}, "nul\u0000": {}}}`
	ans, err := broker.ParseJSON(broker.TaskList, []byte(data))
	if !errors.Is(err, broker.ErrMalformed) || ans == nil {
		t.Fatalf("%+v, %v", ans, err)
	}
	if got := ids(ans.Profiles); !reflect.DeepEqual(got, []string{"ok"}) {
		t.Errorf("profiles %q", got)
	}
	if n := len(err.(interface{ Unwrap() []error }).Unwrap()); n != 7 {
		t.Errorf("%d errors, want 7: %v", n, err)
	}
}
