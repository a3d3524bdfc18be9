package llm

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// decodeRepaired decodes a model's JSON reply into v, first as is, then
// after cheap repairs: code fences stripped, text around the object cut,
// and a truncated reply cut back to its last complete array item. It
// returns whether a repair was needed.
func decodeRepaired(content string, v any) (repaired bool, err error) {
	if err = strictDecode([]byte(content), v); err == nil {
		return false, nil
	}
	first := err
	s := stripFences(content)
	if i := strings.IndexByte(s, '{'); i >= 0 {
		s = s[i:]
	} else {
		return true, fmt.Errorf("no JSON object in reply: %w", first)
	}
	// json.Decoder reads one value and ignores what follows it, which cuts
	// trailing garbage.
	dec := json.NewDecoder(strings.NewReader(s))
	var raw json.RawMessage
	if err := dec.Decode(&raw); err == nil {
		if err := strictDecode(raw, v); err == nil {
			return true, nil
		} else {
			return true, err
		}
	}
	if cut, ok := cutTruncated(s); ok {
		if err := strictDecode([]byte(cut), v); err == nil {
			return true, nil
		}
	}
	return true, first
}

// strictDecode decodes exactly one JSON value.
func strictDecode(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return errors.New("text after the JSON object")
	}
	return nil
}

// stripFences removes a Markdown code fence around the reply.
func stripFences(s string) string {
	s = strings.TrimSpace(s)
	if !strings.HasPrefix(s, "```") {
		return s
	}
	s = strings.TrimPrefix(s, "```")
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[i+1:] // drop the language tag line
	}
	if i := strings.LastIndex(s, "```"); i >= 0 {
		s = s[:i]
	}
	return strings.TrimSpace(s)
}

// cutTruncated repairs a reply cut off mid-way, like {"questions":[{..},{..
// by keeping the items of the top-level object's array that were complete
// and closing the array and object. It only handles that shape, which is
// the shape of both schemas.
func cutTruncated(s string) (string, bool) {
	var stack []byte
	inStr, esc := false, false
	lastItemEnd := -1
	for i := 0; i < len(s); i++ {
		c := s[i]
		if inStr {
			switch {
			case esc:
				esc = false
			case c == '\\':
				esc = true
			case c == '"':
				inStr = false
			}
			continue
		}
		switch c {
		case '"':
			inStr = true
		case '{', '[':
			stack = append(stack, c)
		case '}', ']':
			if len(stack) == 0 {
				return "", false
			}
			stack = stack[:len(stack)-1]
			// An object closed directly inside the root object's array.
			if c == '}' && len(stack) == 2 && stack[0] == '{' && stack[1] == '[' {
				lastItemEnd = i + 1
			}
			if len(stack) == 0 {
				return s[:i+1], true // complete after all
			}
		}
	}
	if lastItemEnd < 0 {
		// Nothing complete: an empty array is still a valid, honest reply
		// only if the array had begun.
		if i := strings.IndexByte(s, '['); i >= 0 && len(stack) >= 2 {
			return s[:i+1] + "]}", true
		}
		return "", false
	}
	return s[:lastItemEnd] + "]}", true
}
