// Package llm is the OpenAI-compatible language model behind generation:
// a generate.Model that proposes questions and a generate.Answerer that
// checks answer keys, both over github.com/sashabaranov/go-openai chat
// completions with strict JSON-schema structured output.
//
// It works with OpenAI and with any server that speaks the same API
// (vLLM, Ollama, llama.cpp at ".../v1") through Config.BaseURL. What it
// adds to go-openai: a schema written by hand for strict mode, a prompt
// that keeps the document as data, cheap repair and bounded re-asking of
// malformed output, retries of 429 and 5xx with exponential backoff and
// jitter that honour Retry-After, a per-call timeout, and the shared rate
// limit.
package llm

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	openai "github.com/sashabaranov/go-openai"

	"github.com/quizflow/quizflow/internal/generate"
)

// DefaultModel is the model used when Config.Model and OPENAI_MODEL are empty.
const DefaultModel = "gpt-4o-mini"

// Waiter is the shared rate limit (*ratelimit.Limiter): Wait blocks until a
// request of about tokens tokens may be sent.
type Waiter interface {
	Wait(ctx context.Context, tokens int) error
}

// Config configures a Client. Zero values take the documented defaults.
type Config struct {
	// APIKey is the bearer token (OPENAI_API_KEY). Local servers accept any
	// value; empty is sent as "none".
	APIKey string
	// BaseURL is the API root including /v1 (OPENAI_BASE_URL), e.g.
	// http://localhost:11434/v1 for Ollama. Empty means OpenAI.
	BaseURL string
	// Model is the chat model (OPENAI_MODEL). Empty means DefaultModel.
	// For Azure it is the deployment name.
	Model string
	// Azure selects Azure OpenAI's API shape (OPENAI_API_TYPE=azure):
	// deployment paths, the api-key header and APIVersion.
	Azure bool
	// APIVersion is Azure's api-version (OPENAI_API_VERSION). Empty means
	// DefaultAzureAPIVersion, the first GA version with structured outputs.
	APIVersion string
	// MaxRetries bounds retries of one call after a transient failure (429,
	// 5xx, timeout, connection error). Zero means 4; negative means none.
	MaxRetries int
	// RepairRetries bounds how often malformed output is sent back with the
	// parse error to ask again. Zero means 2; negative means none.
	RepairRetries int
	// Timeout bounds one HTTP call. Zero means 90 s.
	Timeout time.Duration
	// MaxBackoff caps the exponential backoff between retries (not a
	// server's Retry-After). Zero means 20 s.
	MaxBackoff time.Duration
	// MaxRetryAfter is the longest Retry-After honoured by waiting; a longer
	// one fails the call with a transient error so the task is retried
	// later instead of holding a worker. Zero means 2 minutes.
	MaxRetryAfter time.Duration
	// MaxOutputTokens, if positive, is sent as max_completion_tokens.
	MaxOutputTokens int
	// HTTPClient is the client to use; nil means a new http.Client. Its
	// transport is wrapped to read Retry-After headers.
	HTTPClient *http.Client
	// Limiter, if set, is waited on before every call.
	Limiter Waiter
	// Tokenizer estimates prompt tokens for the limiter; nil means the
	// tiktoken encoding of Model.
	Tokenizer generate.Tokenizer
	// Responses, if set, counts every HTTP answer of the server by status
	// (*metrics.LLMResponses: quizflow_llm_responses_total, whose 429s
	// the alert rules watch).
	Responses ResponseObserver
}

// ResponseObserver is told the status of each HTTP answer of the model
// server, every attempt included (0: no answer, e.g. a timeout).
type ResponseObserver interface{ ObserveLLMResponse(status int) }

// DefaultAzureAPIVersion is the Azure OpenAI api-version used by default.
const DefaultAzureAPIVersion = "2024-10-21"

// Client talks to one chat model. It implements generate.Model and
// generate.Answerer and is safe for concurrent use.
type Client struct {
	cfg Config
	oc  *openai.Client
	tok generate.Tokenizer
}

var (
	_ generate.Model    = (*Client)(nil)
	_ generate.Answerer = (*Client)(nil)
)

// New returns a Client for cfg.
func New(cfg Config) (*Client, error) {
	if cfg.Model == "" {
		cfg.Model = DefaultModel
	}
	if cfg.MaxRetries == 0 {
		cfg.MaxRetries = 4
	}
	if cfg.RepairRetries == 0 {
		cfg.RepairRetries = 2
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 90 * time.Second
	}
	if cfg.MaxBackoff <= 0 {
		cfg.MaxBackoff = 20 * time.Second
	}
	if cfg.MaxRetryAfter <= 0 {
		cfg.MaxRetryAfter = 2 * time.Minute
	}
	key := cfg.APIKey
	if key == "" {
		key = "none"
	}
	oc := openai.DefaultConfig(key)
	if cfg.BaseURL != "" {
		oc.BaseURL = cfg.BaseURL
	}
	if cfg.Azure {
		// Azure OpenAI: BaseURL is the resource endpoint
		// (https://NAME.openai.azure.com/) and Model the deployment name.
		oc = openai.DefaultAzureConfig(key, cfg.BaseURL)
		oc.APIVersion = cfg.APIVersion
		if oc.APIVersion == "" {
			oc.APIVersion = DefaultAzureAPIVersion
		}
		oc.AzureModelMapperFunc = func(model string) string { return model }
	}
	hc := cfg.HTTPClient
	if hc == nil {
		hc = &http.Client{}
	}
	base := hc.Transport
	if base == nil {
		base = http.DefaultTransport
	}
	wrapped := *hc
	wrapped.Transport = headerRecorder{base: base, obs: cfg.Responses}
	oc.HTTPClient = &wrapped
	tok := cfg.Tokenizer
	if tok == nil {
		t, err := generate.NewTiktoken(generate.EncodingForModel(cfg.Model))
		if err != nil {
			return nil, fmt.Errorf("llm: %w", err)
		}
		tok = t
	}
	if cfg.APIKey == "" && cfg.BaseURL == "" {
		return nil, errors.New("llm: OPENAI_API_KEY is required unless OPENAI_BASE_URL names a local server")
	}
	return &Client{cfg: cfg, oc: openai.NewClientWithConfig(oc), tok: tok}, nil
}

// Name returns the model name recorded in usage.
func (c *Client) Name() string { return c.cfg.Model }
