// Package fakeopenai is an OpenAI-compatible chat-completions server for
// tests. It speaks the real wire format (what go-openai and other clients
// send and parse) and answers by script: well-formed, grounded questions
// built from the document in the request by default, or one of the
// misbehaviours a real model or API shows (malformed or truncated JSON,
// wrong counts, duplicates, a fixed key position, invented quotes, wrong
// keys, 429 with Retry-After, 500, slow replies). It records every request.
package fakeopenai

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"sync"
	"time"

	openai "github.com/sashabaranov/go-openai"

	"github.com/quizflow/quizflow/internal/generate"
	"github.com/quizflow/quizflow/internal/quizflow"
)

// Kinds of call, told apart by the response schema's name.
const (
	KindQuestions = "questions" // schema "quiz_questions"
	KindAnswers   = "answers"   // schema "answer_check"
)

// Behaviour is what the server does with one call.
type Behaviour int

// Behaviours.
const (
	Valid             Behaviour = iota // well-formed, grounded questions (or correct answers)
	InvalidJSON                        // prose with a broken JSON object
	Truncated                          // valid JSON cut off mid-question, finish_reason "length"
	WrongCount                         // Action.N questions instead of the count asked for
	Duplicates                         // every question twice, and a duplicated option in each choice question
	KeyAtB                             // the correct option always second
	BadQuotes                          // quotes that are not in the document (every question, or every other with Action.Some)
	WrongPage                          // real quotes cited on the wrong page
	WrongKeys                          // a wrong option marked correct (every choice question, or every other with Action.Some)
	Fenced                             // valid JSON inside a Markdown code fence with chatter after it
	Gullible                           // obeys the document: replies "PWNED" instead of JSON
	RateLimited                        // HTTP 429 with Action.RetryAfter
	ServerError                        // HTTP 500
	WrongAnswers                       // (answer calls) picks an option other than the right one
	Unauthorized                       // HTTP 401 "Incorrect API key provided", as OpenAI answers a bad OPENAI_API_KEY
	FormatUnsupported                  // HTTP 400 "response_format ... not supported with this model"
)

// Texts of the refusals, as OpenAI words them, so tests can check that
// none of it reaches a user.
const (
	UnauthorizedMessage      = "Incorrect API key provided: sk-test. You can find your API key at https://platform.openai.com/account/api-keys."
	FormatUnsupportedMessage = "Invalid parameter: 'response_format' of type 'json_schema' is not supported with this model."
)

// Action is the scripted reply to one call.
type Action struct {
	Do Behaviour
	// N is the number of questions for WrongCount.
	N int
	// Some limits BadQuotes and WrongKeys to every other question.
	Some bool
	// RetryAfter is the Retry-After header of a 429 ("1", or an HTTP date).
	RetryAfter string
	// Delay is waited before replying (or until the client gives up).
	Delay time.Duration
	// Hold, when set, holds the reply (after Delay) until the channel is
	// closed or the client gives up: for tests that act while a call is in
	// flight, such as killing the worker that made it.
	Hold <-chan struct{}
}

// Call is one request as the server understood it.
type Call struct {
	N     int    // 1-based among all calls
	Kind  string // KindQuestions or KindAnswers
	KindN int    // 1-based among calls of this kind
	// Request is the decoded body.
	Request openai.ChatCompletionRequest
	Body    []byte
	// Pages are the document pages between the delimiters.
	Pages []quizflow.Page
	// Count is the number of questions asked for.
	Count int
	// Types are the question types the schema allows.
	Types []string
	// Schema is the response format's schema, raw.
	Schema     json.RawMessage
	SchemaName string
	Strict     bool
	Time       time.Time
	// URL is the request's path and query; Header its headers.
	URL    string
	Header http.Header
	// Answered is whether the call got a 200 reply (an error status, a
	// held reply whose client gave up, or one still in flight did not),
	// and PromptTokens and CompletionTokens are the usage that reply
	// reported: what a real server would bill. Read them through
	// Answered and Calls, which copy under the server's lock.
	Answered                       bool
	PromptTokens, CompletionTokens int
}

// Script decides the Action for each call. It is called with the server's
// lock released and may be called concurrently.
type Script func(c *Call) Action

// Sequence returns a Script that plays the actions in order to the
// question calls and then behaves; answer calls always behave.
func Sequence(actions ...Action) Script {
	return func(c *Call) Action {
		if c.Kind == KindQuestions && c.KindN <= len(actions) {
			return actions[c.KindN-1]
		}
		return Action{}
	}
}

// Always returns a Script that does a to every call of kind.
func Always(kind string, a Action) Script {
	return func(c *Call) Action {
		if c.Kind == kind {
			return a
		}
		return Action{}
	}
}

// Server is a running fake. Use New and Close.
type Server struct {
	// URL is the API root including /v1, for Config.BaseURL.
	URL string
	srv *httptest.Server
	tok generate.Tokenizer

	mu     sync.Mutex
	script Script
	calls  []*Call
	kindN  map[string]int
	// truth maps a generated prompt to its truly correct option texts.
	truth map[string][]string
}

// New starts a fake server that behaves (Valid) until SetScript.
func New() *Server {
	tok, err := generate.NewTiktoken(generate.EncodingO200K)
	if err != nil {
		panic(err)
	}
	s := &Server{tok: tok, kindN: map[string]int{}, truth: map[string][]string{}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/chat/completions", s.handle)
	mux.HandleFunc("POST /chat/completions", s.handle)
	// Azure OpenAI's shape: the deployment in the path, api-key header.
	mux.HandleFunc("POST /openai/deployments/{deployment}/chat/completions", s.handle)
	s.srv = httptest.NewServer(mux)
	s.URL = s.srv.URL + "/v1"
	return s
}

// Close stops the server.
func (s *Server) Close() { s.srv.Close() }

// SetScript replaces the script; nil means always Valid.
func (s *Server) SetScript(sc Script) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.script = sc
}

// Calls returns the calls received so far, of kind ("" for all).
func (s *Server) Calls(kind string) []*Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*Call
	for _, c := range s.calls {
		if kind == "" || c.Kind == kind {
			out = append(out, c)
		}
	}
	return out
}

// Count returns how many calls of kind ("" for all) were received.
func (s *Server) Count(kind string) int { return len(s.Calls(kind)) }

// Answered returns the calls of kind ("" for all) answered with a 200
// reply so far, as copies: what a real server would have billed.
func (s *Server) Answered(kind string) []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Call
	for _, c := range s.calls {
		if c.Answered && (kind == "" || c.Kind == kind) {
			out = append(out, *c)
		}
	}
	return out
}

// Reset forgets recorded calls (not the script).
func (s *Server) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = nil
	s.kindN = map[string]int{}
}

var (
	pageRe  = regexp.MustCompile(`(?s)<page number="(\d+)">\n(.*?)\n</page>`)
	countRe = regexp.MustCompile(`Write (\d+) questions`)
)

func (s *Server) handle(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		httpError(w, http.StatusBadRequest, "unreadable body")
		return
	}
	c := &Call{Body: body, Time: time.Now(), URL: r.URL.String(), Header: r.Header.Clone()}
	if err := json.Unmarshal(body, &c.Request); err != nil {
		httpError(w, http.StatusBadRequest, "invalid JSON body: "+err.Error())
		return
	}
	rf := c.Request.ResponseFormat
	if rf == nil || rf.JSONSchema == nil {
		httpError(w, http.StatusBadRequest, "fake server needs response_format json_schema")
		return
	}
	c.SchemaName, c.Strict = rf.JSONSchema.Name, rf.JSONSchema.Strict
	if raw, ok := rf.JSONSchema.Schema.(json.RawMessage); ok {
		c.Schema = raw
	} else if rf.JSONSchema.Schema != nil {
		c.Schema, _ = rf.JSONSchema.Schema.MarshalJSON()
	}
	switch c.SchemaName {
	case "answer_check":
		c.Kind = KindAnswers
	default:
		c.Kind = KindQuestions
	}
	var user string
	for _, m := range c.Request.Messages {
		if m.Role == openai.ChatMessageRoleUser {
			user = m.Content
			break // the first user message holds the document
		}
	}
	for _, m := range pageRe.FindAllStringSubmatch(user, -1) {
		n, _ := strconv.Atoi(m[1])
		c.Pages = append(c.Pages, quizflow.Page{Number: n, Text: m[2]})
	}
	if m := countRe.FindStringSubmatch(user); m != nil {
		c.Count, _ = strconv.Atoi(m[1])
	}
	c.Types = schemaTypes(c.Schema)

	s.mu.Lock()
	s.calls = append(s.calls, c)
	c.N = len(s.calls)
	s.kindN[c.Kind]++
	c.KindN = s.kindN[c.Kind]
	script := s.script
	s.mu.Unlock()

	var a Action
	if script != nil {
		a = script(c)
	}
	if a.Delay > 0 {
		select {
		case <-time.After(a.Delay):
		case <-r.Context().Done():
			return
		}
	}
	if a.Hold != nil {
		select {
		case <-a.Hold:
		case <-r.Context().Done():
			return
		}
	}
	switch a.Do {
	case RateLimited:
		w.Header().Set("Retry-After", a.RetryAfter)
		httpError(w, http.StatusTooManyRequests, "Rate limit reached for requests")
		return
	case ServerError:
		httpError(w, http.StatusInternalServerError, "The server had an error while processing your request.")
		return
	case Unauthorized:
		openAIError(w, http.StatusUnauthorized, UnauthorizedMessage, "invalid_request_error", "", "invalid_api_key")
		return
	case FormatUnsupported:
		openAIError(w, http.StatusBadRequest, FormatUnsupportedMessage, "invalid_request_error", "response_format", "")
		return
	}
	var content, finish string
	if c.Kind == KindAnswers {
		content, finish = s.answer(c, a, user)
	} else {
		content, finish = s.questions(c, a)
	}
	prompt := 0
	for _, m := range c.Request.Messages {
		prompt += s.tok.Count(m.Content) + 4
	}
	completion := s.tok.Count(content)
	resp := openai.ChatCompletionResponse{
		ID:      fmt.Sprintf("chatcmpl-fake%d", c.N),
		Object:  "chat.completion",
		Created: c.Time.Unix(),
		Model:   c.Request.Model,
		Choices: []openai.ChatCompletionChoice{{
			Index:        0,
			Message:      openai.ChatCompletionMessage{Role: openai.ChatMessageRoleAssistant, Content: content},
			FinishReason: openai.FinishReason(finish),
		}},
		Usage: openai.Usage{PromptTokens: prompt, CompletionTokens: completion, TotalTokens: prompt + completion},
	}
	// Counted before the reply goes out, so a client never sees a reply
	// the server has not counted yet; taken back if it cannot be sent.
	s.mu.Lock()
	c.Answered, c.PromptTokens, c.CompletionTokens = true, prompt, completion
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	err = json.NewEncoder(w).Encode(resp)
	if err == nil {
		err = http.NewResponseController(w).Flush()
	}
	if err != nil {
		s.mu.Lock()
		c.Answered = false
		s.mu.Unlock()
	}
}

// httpError writes OpenAI's error shape.
func httpError(w http.ResponseWriter, code int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	typ := "server_error"
	if code == http.StatusTooManyRequests {
		typ = "rate_limit_exceeded"
	} else if code < 500 {
		typ = "invalid_request_error"
	}
	_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{"message": msg, "type": typ, "code": nil}})
}

// openAIError writes OpenAI's full error shape, param and code included
// (empty is null).
func openAIError(w http.ResponseWriter, status int, msg, typ, param, code string) {
	null := func(v string) any {
		if v == "" {
			return nil
		}
		return v
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{
		"message": msg, "type": typ, "param": null(param), "code": null(code),
	}})
}

// schemaTypes reads the enum of question types from the schema.
func schemaTypes(raw json.RawMessage) []string {
	var sch struct {
		Properties struct {
			Questions struct {
				Items struct {
					Properties struct {
						Type struct {
							Enum []string `json:"enum"`
						} `json:"type"`
					} `json:"properties"`
				} `json:"items"`
			} `json:"questions"`
		} `json:"properties"`
	}
	_ = json.Unmarshal(raw, &sch)
	return sch.Properties.Questions.Items.Properties.Type.Enum
}
