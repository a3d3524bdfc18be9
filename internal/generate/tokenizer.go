package generate

import (
	"fmt"
	"strings"
	"sync"

	"github.com/pkoukk/tiktoken-go"
	tiktoken_loader "github.com/pkoukk/tiktoken-go-loader"
)

// Tokenizer counts tokens the way a model does, so chunks fit its context
// and the rate limiter is charged what the provider will charge.
type Tokenizer interface {
	Count(text string) int
}

// Encodings of OpenAI models, as tiktoken names them.
const (
	EncodingO200K  = "o200k_base"  // gpt-4o, gpt-4o-mini, o-series, gpt-4.1
	EncodingCL100K = "cl100k_base" // gpt-4, gpt-3.5-turbo, many open models' rough equal
)

var (
	setLoader sync.Once
	tokMu     sync.Mutex
	toks      = map[string]*Tiktoken{}
)

// Tiktoken is a Tokenizer over github.com/pkoukk/tiktoken-go with the BPE
// ranks embedded in the binary (tiktoken-go-loader), so it never downloads
// anything at run time. It is safe for concurrent use.
type Tiktoken struct {
	enc *tiktoken.Tiktoken
}

// NewTiktoken returns the Tokenizer for encoding (EncodingO200K or
// EncodingCL100K; "" means EncodingO200K). Building one takes a few
// hundred milliseconds, so each encoding is built once per process and
// shared.
func NewTiktoken(encoding string) (*Tiktoken, error) {
	setLoader.Do(func() { tiktoken.SetBpeLoader(tiktoken_loader.NewOfflineLoader()) })
	if encoding == "" {
		encoding = EncodingO200K
	}
	tokMu.Lock()
	defer tokMu.Unlock()
	if t, ok := toks[encoding]; ok {
		return t, nil
	}
	enc, err := tiktoken.GetEncoding(encoding)
	if err != nil {
		return nil, fmt.Errorf("generate: tokenizer %q: %w", encoding, err)
	}
	t := &Tiktoken{enc: enc}
	toks[encoding] = t
	return t, nil
}

// EncodingForModel picks the tiktoken encoding of a model name: o200k_base
// for gpt-4o and later OpenAI models, cl100k_base for anything else (a fair
// estimate for open models served through vLLM or Ollama).
func EncodingForModel(model string) string {
	m := strings.ToLower(model)
	for _, p := range []string{"gpt-4o", "gpt-4.1", "gpt-4.5", "gpt-5", "o1", "o3", "o4", "chatgpt-4o"} {
		if strings.HasPrefix(m, p) {
			return EncodingO200K
		}
	}
	return EncodingCL100K
}

// Count returns the number of tokens in text. Special-token look-alikes in
// the text are counted as ordinary text.
func (t *Tiktoken) Count(text string) int {
	if text == "" {
		return 0
	}
	return len(t.enc.EncodeOrdinary(text))
}
