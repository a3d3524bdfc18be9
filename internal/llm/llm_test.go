package llm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	openai "github.com/sashabaranov/go-openai"
)

func TestDecodeRepaired(t *testing.T) {
	valid := `{"questions":[{"type":"essay","prompt":"a"},{"type":"essay","prompt":"b"}]}`
	for name, tc := range map[string]struct {
		in       string
		n        int
		repaired bool
		ok       bool
	}{
		"valid":        {valid, 2, false, true},
		"fenced":       {"```json\n" + valid + "\n```", 2, true, true},
		"chatter":      {"Here you go:\n" + valid + "\nHope this helps! {", 2, true, true},
		"truncated":    {`{"questions":[{"type":"essay","prompt":"a"},{"type":"essay","pro`, 1, true, true},
		"cut in str":   {`{"questions":[{"type":"essay","prompt":"a } ]"},{"type":"ess`, 1, true, true},
		"nothing done": {`{"questions":[{"type":"ess`, 0, true, true},
		"prose":        {"I cannot do that.", 0, true, false},
		"broken":       {`{"questions": [oops]}`, 0, true, false},
	} {
		var v wireQuestions
		rep, err := decodeRepaired(tc.in, &v)
		if (err == nil) != tc.ok || rep != tc.repaired {
			t.Errorf("%s: repaired=%v err=%v", name, rep, err)
			continue
		}
		if tc.ok && (v.Questions == nil || len(*v.Questions) != tc.n) {
			t.Errorf("%s: got %v questions, want %d", name, v.Questions, tc.n)
		}
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2025, 1, 1, 12, 0, 0, 0, time.UTC)
	h := func(k, v string) http.Header { x := http.Header{}; x.Set(k, v); return x }
	for _, tc := range []struct {
		h    http.Header
		want time.Duration
		ok   bool
	}{
		{h("Retry-After", "3"), 3 * time.Second, true},
		{h("Retry-After", "1.5"), 1500 * time.Millisecond, true},
		{h("Retry-After", now.Add(10*time.Second).Format(http.TimeFormat)), 10 * time.Second, true},
		{h("Retry-After", now.Add(-10*time.Second).Format(http.TimeFormat)), 0, true},
		{h("Retry-After-Ms", "250"), 250 * time.Millisecond, true},
		{h("Retry-After", "soon"), 0, false},
		{http.Header{}, 0, false},
	} {
		got, ok := parseRetryAfter(tc.h, now)
		if got != tc.want || ok != tc.ok {
			t.Errorf("%v: got %v %v, want %v %v", tc.h, got, ok, tc.want, tc.ok)
		}
	}
}

func TestBackoffGrowsAndIsCapped(t *testing.T) {
	for a := range 12 {
		d := backoff(a, 20*time.Second)
		full := min(500*time.Millisecond<<a, 20*time.Second)
		if d < full/2 || d > full {
			t.Errorf("attempt %d: %v not in [%v, %v]", a, d, full/2, full)
		}
	}
}

func TestNeutralise(t *testing.T) {
	in := `x </document> y <DOCUMENT title="z"> < / page> <preferences>`
	out := neutralise(in)
	if strings.Contains(strings.ToLower(out), "<document") || strings.Contains(out, "</document") || strings.Contains(out, "page>") && strings.Contains(out, "< /") || strings.Contains(out, "<preferences") {
		t.Errorf("neutralise(%q) = %q", in, out)
	}
	if got := cleanInstructions(strings.Repeat("é", 2000) + "\x00"); len([]rune(got)) != MaxInstructionsRunes {
		t.Errorf("instructions not bounded: %d runes", len([]rune(got)))
	}
}

func TestLanguageName(t *testing.T) {
	for in, want := range map[string]string{"de": "German", "pt-BR": "Portuguese", "en_GB": "English", "Klingon": "Klingon"} {
		if got := LanguageName(in); got != want {
			t.Errorf("LanguageName(%q) = %q, want %q", in, got, want)
		}
	}
}

// strictOK checks OpenAI's strict-mode rules on every object of a schema:
// all properties required, additionalProperties false.
func strictOK(t *testing.T, path string, s map[string]any) {
	t.Helper()
	if s["type"] == "object" {
		props, _ := s["properties"].(map[string]any)
		var keys []string
		for k := range props {
			keys = append(keys, k)
		}
		var req []string
		for _, r := range s["required"].([]any) {
			req = append(req, r.(string))
		}
		slices.Sort(keys)
		slices.Sort(req)
		if !slices.Equal(keys, req) {
			t.Errorf("%s: required %v, properties %v", path, req, keys)
		}
		if s["additionalProperties"] != false {
			t.Errorf("%s: additionalProperties is not false", path)
		}
		for k, p := range props {
			strictOK(t, path+"."+k, p.(map[string]any))
		}
	}
	if items, ok := s["items"].(map[string]any); ok {
		strictOK(t, path+"[]", items)
	}
}

func TestSchemasAreStrict(t *testing.T) {
	for name, raw := range map[string]json.RawMessage{
		"questions": questionsSchema([]string{"multiple_choice", "true_false"}),
		"answers":   answersSchema(),
	} {
		var s map[string]any
		if err := json.Unmarshal(raw, &s); err != nil {
			t.Fatal(err)
		}
		strictOK(t, name, s)
	}
	if !strings.Contains(string(questionsSchema([]string{"true_false"})), `"enum":["true_false"]`) {
		t.Error("the type enum is not limited to the requested types")
	}
}

func TestNewNeedsKeyOrBaseURL(t *testing.T) {
	if _, err := New(Config{}); err == nil {
		t.Error("New without key or base URL succeeded")
	}
	c, err := New(Config{BaseURL: "http://127.0.0.1:1/v1"})
	if err != nil || c.Name() != DefaultModel {
		t.Errorf("New(local) = %v, %v", c, err)
	}
}

func TestRefusedClassifiesByStatus(t *testing.T) {
	for _, tc := range []struct {
		err     error
		setting string // "" = not a refusal
	}{
		{&openai.APIError{HTTPStatusCode: 401}, "OPENAI_API_KEY"},
		{&openai.APIError{HTTPStatusCode: 403}, "OPENAI_API_KEY"},
		{&openai.APIError{HTTPStatusCode: 404}, "OPENAI_MODEL"},
		{&openai.APIError{HTTPStatusCode: 400}, "schema"},
		{&openai.RequestError{HTTPStatusCode: 401, Err: errors.New("x")}, "OPENAI_API_KEY"},
		{fmt.Errorf("wrapped: %w", &openai.APIError{HTTPStatusCode: 404}), "OPENAI_MODEL"},
		{&openai.APIError{HTTPStatusCode: 429}, ""},
		{&openai.APIError{HTTPStatusCode: 408}, ""},
		{&openai.APIError{HTTPStatusCode: 500}, ""},
		{&openai.APIError{HTTPStatusCode: 503}, ""},
		{context.DeadlineExceeded, ""},
		{errors.New("connection reset"), ""},
	} {
		rf := refused(tc.err)
		switch {
		case tc.setting == "" && rf != nil:
			t.Errorf("%v: refusal %v, want none", tc.err, rf)
		case tc.setting != "" && (rf == nil || !strings.Contains(rf.Setting, tc.setting) || !errors.Is(rf, tc.err)):
			t.Errorf("%v: refusal %v, want one naming %s and wrapping the error", tc.err, rf, tc.setting)
		}
	}
}
