package fakeopenai_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/quizflow/quizflow/internal/fakeopenai"
)

const body = `{"model":"gpt-4o-mini","messages":[{"role":"system","content":"rules"},{"role":"user","content":"<document>\n<page number=\"3\">\nThe heart pumps oxygenated blood through the arteries of the body.\n</page>\n</document>\n\nWrite 1 questions about the document above, of these types: multiple_choice."}],
"response_format":{"type":"json_schema","json_schema":{"name":"quiz_questions","strict":true,"schema":{"type":"object","properties":{"questions":{"type":"array","items":{"type":"object","properties":{"type":{"type":"string","enum":["multiple_choice"]}}}}}}}}}`

func TestWireFormat(t *testing.T) {
	s := fakeopenai.New()
	defer s.Close()
	for _, path := range []string{"/v1/chat/completions", "/chat/completions"} {
		url := strings.TrimSuffix(s.URL, "/v1") + path
		resp, err := http.Post(url, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		var out struct {
			ID      string `json:"id"`
			Object  string `json:"object"`
			Choices []struct {
				Message      struct{ Role, Content string } `json:"message"`
				FinishReason string                         `json:"finish_reason"`
			} `json:"choices"`
			Usage struct {
				PromptTokens     int `json:"prompt_tokens"`
				CompletionTokens int `json:"completion_tokens"`
				TotalTokens      int `json:"total_tokens"`
			} `json:"usage"`
		}
		if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if out.Object != "chat.completion" || out.ID == "" || len(out.Choices) != 1 || out.Choices[0].FinishReason != "stop" ||
			out.Usage.TotalTokens != out.Usage.PromptTokens+out.Usage.CompletionTokens || out.Usage.PromptTokens == 0 {
			t.Fatalf("%s: %+v", path, out)
		}
		var qs struct {
			Questions []struct {
				SourcePage  int    `json:"source_page"`
				SourceQuote string `json:"source_quote"`
			} `json:"questions"`
		}
		if err := json.Unmarshal([]byte(out.Choices[0].Message.Content), &qs); err != nil || len(qs.Questions) != 1 ||
			qs.Questions[0].SourcePage != 3 || !strings.Contains(body, qs.Questions[0].SourceQuote) {
			t.Fatalf("%s: content %s (%v)", path, out.Choices[0].Message.Content, err)
		}
	}
	calls := s.Calls(fakeopenai.KindQuestions)
	if len(calls) != 2 || calls[0].Count != 1 || len(calls[0].Pages) != 1 || calls[0].Types[0] != "multiple_choice" || !calls[0].Strict {
		t.Fatalf("recorded %+v", calls)
	}
}

func TestRateLimitReply(t *testing.T) {
	s := fakeopenai.New()
	defer s.Close()
	s.SetScript(fakeopenai.Sequence(fakeopenai.Action{Do: fakeopenai.RateLimited, RetryAfter: "7"}))
	resp, err := http.Post(s.URL+"/chat/completions", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") != "7" {
		t.Fatalf("status %d, Retry-After %q", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
}

// TestRefusalsAndAnswered: the refusals come in OpenAI's error shape with
// their status, and only 200 replies count as answered, with the tokens
// they reported.
func TestRefusalsAndAnswered(t *testing.T) {
	s := fakeopenai.New()
	defer s.Close()
	post := func() (int, map[string]map[string]any) {
		t.Helper()
		resp, err := http.Post(s.URL+"/chat/completions", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&out)
		return resp.StatusCode, out
	}
	for _, tc := range []struct {
		do      fakeopenai.Behaviour
		status  int
		message string
		param   any
		code    any
	}{
		{fakeopenai.Unauthorized, http.StatusUnauthorized, fakeopenai.UnauthorizedMessage, nil, "invalid_api_key"},
		{fakeopenai.FormatUnsupported, http.StatusBadRequest, fakeopenai.FormatUnsupportedMessage, "response_format", nil},
	} {
		s.SetScript(fakeopenai.Always(fakeopenai.KindQuestions, fakeopenai.Action{Do: tc.do}))
		status, out := post()
		e := out["error"]
		if status != tc.status || e["message"] != tc.message || e["type"] != "invalid_request_error" || e["param"] != tc.param || e["code"] != tc.code {
			t.Errorf("behaviour %d: %d %v, want %d with message %q, param %v, code %v", tc.do, status, out, tc.status, tc.message, tc.param, tc.code)
		}
	}
	if n := len(s.Answered("")); n != 0 {
		t.Errorf("%d refused calls counted as answered", n)
	}
	s.SetScript(nil)
	if status, _ := post(); status != http.StatusOK {
		t.Fatalf("valid call: %d", status)
	}
	a := s.Answered(fakeopenai.KindQuestions)
	if len(a) != 1 || a[0].N != 3 || a[0].PromptTokens == 0 || a[0].CompletionTokens == 0 || s.Count("") != 3 {
		t.Errorf("answered = %+v of %d calls, want the third call alone, with its tokens", a, s.Count(""))
	}
}
