package broker

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"unicode"

	"github.com/x2go-go/x2go/profile"
)

// ParseJSON reads an answer of the JSON dialect: what x2gobroker's /json/
// URLs send and python-x2go reads. The answer is one JSON object with
//
//   - "auth-status": "Access granted" (another value means refused: the
//     error matches ErrAuthFailed; python-x2go does not look, x2gobroker
//     answers a refusal with HTTP 401);
//   - "next-authid": the next auth cookie, if the broker uses them;
//   - for TaskList, "profiles": an object of profile ID → object of profile
//     keys (those of X2Go Client's sessions file) with JSON strings,
//     numbers, booleans or lists as values; null leaves a key at its
//     default;
//   - for TaskSelect, "selected_session": an object with "server", "port"
//     (a string or a number), and optionally "key" (a PEM private key to
//     log in with), "authentication_pubkey" ("ACCEPTED" when the broker
//     authorised the public key sent with the request) and "session_info"
//     (the x2golistsessions line of a session to resume).
//
// Errors match ErrAuthFailed or ErrMalformed (a *MalformedError naming the
// field, and the line where the decoder can tell). The Answer is nil only
// when access was refused or the answer is not a JSON object; otherwise it
// carries the AuthID and what could be read, and for TaskList every profile
// that could be read even when others could not (the error then joins a
// *MalformedError for each bad profile).
func ParseJSON(task Task, answer []byte) (*Answer, error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(answer, &top); err != nil {
		return nil, jsonError(task, answer, "", err)
	}
	if top == nil {
		return nil, &MalformedError{Dialect: DialectJSON, Task: task, Msg: "not a JSON object"}
	}
	if raw, ok := top["auth-status"]; ok {
		var status string
		if err := json.Unmarshal(raw, &status); err != nil {
			return nil, jsonError(task, answer, "auth-status", err)
		}
		if status != plainGranted {
			return nil, fmt.Errorf("%w: auth-status is not %q", ErrAuthFailed, plainGranted)
		}
	}
	ans := &Answer{}
	if raw, ok := top["next-authid"]; ok && !isNull(raw) {
		if err := json.Unmarshal(raw, &ans.AuthID); err != nil {
			return nil, jsonError(task, answer, "next-authid", err)
		}
	}
	switch task {
	case TaskList:
		ans.Profiles = profile.NewSessions()
		if err := checkJSONTask(top, answer, task, "listprofiles", "listsessions"); err != nil {
			return ans, err
		}
		raw, ok := top["profiles"]
		if !ok {
			return ans, &MalformedError{Dialect: DialectJSON, Task: task, Field: "profiles", Msg: "missing"}
		}
		s, err := jsonProfiles(answer, raw)
		ans.Profiles = s
		return ans, err
	case TaskSelect:
		if err := checkJSONTask(top, answer, task, "selectsession"); err != nil {
			return ans, err
		}
		raw, ok := top["selected_session"]
		if !ok {
			return ans, &MalformedError{Dialect: DialectJSON, Task: task, Field: "selected_session", Msg: "missing"}
		}
		sel, err := jsonSelection(answer, raw)
		if err != nil {
			return ans, err
		}
		ans.Selection = sel
	}
	return ans, nil
}

func isNull(raw json.RawMessage) bool { return string(bytes.TrimSpace(raw)) == "null" }

// checkJSONTask makes sure the answer is for the task asked, when it says.
func checkJSONTask(top map[string]json.RawMessage, answer []byte, task Task, want ...string) error {
	raw, ok := top["task"]
	if !ok {
		return nil
	}
	var got string
	if err := json.Unmarshal(raw, &got); err != nil {
		return jsonError(task, answer, "task", err)
	}
	for _, w := range want {
		if got == w {
			return nil
		}
	}
	return &MalformedError{Dialect: DialectJSON, Task: task, Field: "task", Msg: fmt.Sprintf("answer is for task %q", got)}
}

// jsonError turns a decoding error into a *MalformedError, with the line
// where the decoder could tell.
func jsonError(task Task, answer []byte, field string, err error) *MalformedError {
	me := &MalformedError{Dialect: DialectJSON, Task: task, Field: field}
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		me.Line = lineAt(answer, syn.Offset)
		me.Msg = "invalid JSON"
	case errors.As(err, &typ):
		if field == "" {
			me.Line = lineAt(answer, typ.Offset)
			me.Field = typ.Field
		}
		me.Msg = "a JSON " + typ.Value + " where " + typ.Type.String() + " belongs"
	default:
		me.Msg = "invalid JSON"
	}
	if field == "" && me.Field == "" && me.Line == 0 && len(bytes.TrimSpace(answer)) == 0 {
		me.Msg = "empty answer"
	}
	return me
}

// lineAt is the 1-based line of the byte at offset.
func lineAt(b []byte, offset int64) int {
	if offset < 0 {
		return 0
	}
	if offset > int64(len(b)) {
		offset = int64(len(b))
	}
	return bytes.Count(b[:offset], []byte("\n")) + 1
}

// jsonProfiles builds the profiles of a listprofiles answer. Profiles that
// cannot be read are left out and reported.
func jsonProfiles(answer []byte, raw json.RawMessage) (*profile.Sessions, error) {
	var byID map[string]json.RawMessage
	if err := json.Unmarshal(raw, &byID); err != nil {
		return profile.NewSessions(), jsonError(TaskList, answer, "profiles", err)
	}
	ids := make([]string, 0, len(byID))
	for id := range byID {
		ids = append(ids, id)
	}
	sort.Strings(ids) // x2gobroker sorts them too, for the plain dialect
	// Each profile is written on its own, so that one found bad half-way
	// is dropped whole, then the sections are read as one file.
	var text bytes.Buffer
	var errs []error
	for _, id := range ids {
		field := "profiles." + id
		if err := checkProfileID(id); err != nil {
			errs = append(errs, &MalformedError{Dialect: DialectJSON, Task: TaskList, Field: "profiles", Msg: err.Error()})
			continue
		}
		var keys map[string]json.RawMessage
		if err := json.Unmarshal(byID[id], &keys); err != nil {
			errs = append(errs, jsonError(TaskList, answer, field, err))
			continue
		}
		if keys == nil {
			errs = append(errs, &MalformedError{Dialect: DialectJSON, Task: TaskList, Field: field, Msg: "null instead of a profile"})
			continue
		}
		names := make([]string, 0, len(keys))
		for k := range keys {
			names = append(names, k)
		}
		sort.Strings(names)
		one := profile.NewSessions()
		sec := one.File().Section(id)
		var bad error
		for _, k := range names {
			if k == "" || strings.ContainsFunc(k, unicode.IsControl) {
				bad = &MalformedError{Dialect: DialectJSON, Task: TaskList, Field: field, Msg: "empty key or key with control characters"}
				break
			}
			if err := setJSONValue(sec, k, keys[k]); err != nil {
				bad = &MalformedError{Dialect: DialectJSON, Task: TaskList, Field: field + "." + k, Msg: err.Error()}
				break
			}
		}
		if bad != nil {
			errs = append(errs, bad)
			continue
		}
		if !one.File().HasSection(id) {
			// No keys (or only nulls): the profile still exists.
			sec.SetString("name", "")
			sec.Delete("name")
		}
		text.Write(one.Bytes())
		text.WriteByte('\n')
	}
	s, err := profile.ParseSessions(text.Bytes())
	if err != nil {
		// What this package wrote, it must read.
		errs = append(errs, &MalformedError{Dialect: DialectJSON, Task: TaskList, Field: "profiles", Msg: "profiles could not be stored", Err: err})
	}
	return s, errors.Join(errs...)
}

// checkProfileID rejects IDs that cannot be a profile's section name in a
// sessions file (profile.CheckID) and, from a broker, IDs with control
// characters.
func checkProfileID(id string) error {
	if err := profile.CheckID(id); err != nil {
		return err
	}
	if strings.ContainsFunc(id, unicode.IsControl) {
		return fmt.Errorf("profile ID %q has a control character", id)
	}
	return nil
}

// setJSONValue stores one profile value the way X2Go Client would write it.
func setJSONValue(sec *profile.Section, key string, raw json.RawMessage) error {
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return errors.New("invalid JSON value")
	}
	switch v := v.(type) {
	case nil:
	case string:
		sec.SetString(key, v)
	case bool:
		sec.SetBool(key, v)
	case json.Number:
		if n, err := strconv.Atoi(v.String()); err == nil {
			sec.SetInt(key, n)
		} else {
			sec.SetString(key, v.String())
		}
	case []any:
		list := make([]string, 0, len(v))
		for _, e := range v {
			switch e := e.(type) {
			case string:
				list = append(list, e)
			case json.Number:
				list = append(list, e.String())
			case bool:
				list = append(list, strconv.FormatBool(e))
			default:
				return errors.New("a list element that is not a string, number or boolean")
			}
		}
		sec.SetList(key, list)
	default:
		return errors.New("an object where a value belongs")
	}
	return nil
}

// jsonSelected is selected_session.
type jsonSelected struct {
	Server      *string         `json:"server"`
	Port        json.RawMessage `json:"port"`
	Key         string          `json:"key"`
	PubKey      string          `json:"authentication_pubkey"`
	SessionInfo string          `json:"session_info"`
}

func jsonSelection(answer []byte, raw json.RawMessage) (*Selection, error) {
	var js jsonSelected
	if err := json.Unmarshal(raw, &js); err != nil {
		field := "selected_session"
		var typ *json.UnmarshalTypeError
		if errors.As(err, &typ) && typ.Field != "" {
			field += "." + typ.Field
		}
		return nil, jsonError(TaskSelect, answer, field, err)
	}
	if js.Server == nil {
		return nil, &MalformedError{Dialect: DialectJSON, Task: TaskSelect, Field: "selected_session.server", Msg: "missing: the broker selected no server"}
	}
	sel := &Selection{Server: *js.Server}
	if sel.Server == "" || strings.ContainsFunc(sel.Server, unicode.IsSpace) {
		return nil, &MalformedError{Dialect: DialectJSON, Task: TaskSelect, Field: "selected_session.server", Msg: "empty or has blanks"}
	}
	if len(js.Port) > 0 && !isNull(js.Port) {
		var text string
		var num json.Number
		if err := json.Unmarshal(js.Port, &text); err != nil {
			if err := json.Unmarshal(js.Port, &num); err != nil {
				return nil, &MalformedError{Dialect: DialectJSON, Task: TaskSelect, Field: "selected_session.port", Msg: "neither a string nor a number"}
			}
			text = num.String()
		}
		p, err := parsePort(text)
		if err != nil {
			return nil, &MalformedError{Dialect: DialectJSON, Task: TaskSelect, Field: "selected_session.port", Msg: err.Error()}
		}
		sel.Port = p
	}
	if js.Key != "" {
		if err := checkKey(DialectJSON, 0, "selected_session.key", []byte(js.Key)); err != nil {
			return nil, err
		}
		sel.PrivateKey = []byte(js.Key)
	}
	switch js.PubKey {
	case "":
	case "ACCEPTED":
		sel.PublicKeyAccepted = true
	default:
		return nil, &MalformedError{Dialect: DialectJSON, Task: TaskSelect, Field: "selected_session.authentication_pubkey", Msg: "neither empty nor ACCEPTED"}
	}
	if js.SessionInfo != "" {
		r, err := parseResume(DialectJSON, 0, "selected_session.session_info", js.SessionInfo)
		if err != nil {
			return nil, err
		}
		sel.Resume = r
	}
	return sel, nil
}
