package generate

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

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
// the text are counted as ordinary text. Like CountTokens, it never hands
// the BPE encoder a run of non-space characters longer than MaxRun bytes.
func (t *Tiktoken) Count(text string) int {
	n, _ := CountTokens(context.Background(), t, text)
	return n
}

// encode counts one segment from boundedSegments without cutting it.
func (t *Tiktoken) encode(seg string) int {
	if seg == "" {
		return 0
	}
	return len(t.enc.EncodeOrdinary(seg))
}

// MaxRun is the longest run of non-space bytes handed to a tokenizer in
// one piece. BPE merge is superlinear in the length of one pre-tokenizer
// piece and cannot be cancelled: one 1 MB "word" pinned a core for
// minutes. Longer runs are cut (at rune boundaries) into pieces of at most
// MaxRun bytes, each counted on its own; for ordinary text this changes
// nothing, for a huge run the sum is within a few tokens per piece.
const MaxRun = 256

// maxSegment is about the most text counted in one tokenizer call, so a
// cancelled context is noticed between calls even on long pages. Segments
// end where a non-space run meets whitespace, which is where the
// tokenizers' pre-tokenizers split anyway.
const maxSegment = 16 << 10

// CountTokens counts text with tok, feeding it segments that hold no run
// of non-space characters longer than MaxRun bytes, and checks ctx before
// each segment: a cancelled context ends counting with ctx.Err(). Every
// token count in this package goes through it.
func CountTokens(ctx context.Context, tok Tokenizer, text string) (int, error) {
	count := tok.Count
	if t, ok := tok.(*Tiktoken); ok {
		count = t.encode
	}
	n := 0
	err := boundedSegments(text, func(seg string) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		n += count(seg)
		return nil
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}

// boundedSegments calls yield with consecutive segments of text that
// together are text: each holds no non-space run longer than MaxRun bytes
// and is cut at a non-space/space boundary once it is maxSegment bytes
// long. It stops at yield's first error.
func boundedSegments(text string, yield func(string) error) error {
	segStart, runStart := 0, -1
	for i := 0; i < len(text); {
		r, size := rune(text[i]), 1
		if r >= utf8.RuneSelf {
			r, size = utf8.DecodeRuneInString(text[i:])
		}
		if isSpace(r) {
			if runStart >= 0 {
				runStart = -1
				if i-segStart >= maxSegment {
					if err := yield(text[segStart:i]); err != nil {
						return err
					}
					segStart = i
				}
			}
			i += size
			continue
		}
		if runStart < 0 {
			runStart = i
		}
		if i+size-runStart > MaxRun {
			if err := yield(text[segStart:i]); err != nil {
				return err
			}
			segStart, runStart = i, i
		}
		i += size
	}
	if segStart < len(text) {
		return yield(text[segStart:])
	}
	return nil
}

func isSpace(r rune) bool {
	switch r {
	case ' ', '\t', '\n', '\r', '\v', '\f':
		return true
	}
	return r >= utf8.RuneSelf && unicode.IsSpace(r)
}
