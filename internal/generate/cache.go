package generate

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"slices"
	"strings"
	"sync"

	"github.com/quizflow/quizflow/internal/quizflow"
)

// ChunkCache keeps the model's answer for each chunk of a job, so a task
// that is retried after a transient failure does not pay again for the
// chunks that had finished. Implementations must be safe for concurrent
// use. The pipeline treats cache errors as misses: a cache outage costs
// money, not correctness. Production uses internal/rediscache, shared by
// all workers; MemoryCache serves one process.
type ChunkCache interface {
	// Get returns the value stored under key and whether there was one.
	Get(ctx context.Context, key string) ([]byte, bool, error)
	// Set stores value under key.
	Set(ctx context.Context, key string, value []byte) error
}

// MemoryCache is a ChunkCache in process memory, for `quizflow dev` and
// tests. Entries never expire.
type MemoryCache struct {
	mu sync.Mutex
	m  map[string][]byte
}

// NewMemoryCache returns an empty MemoryCache.
func NewMemoryCache() *MemoryCache { return &MemoryCache{m: map[string][]byte{}} }

// Get implements ChunkCache.
func (c *MemoryCache) Get(_ context.Context, key string) ([]byte, bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	b, ok := c.m[key]
	return b, ok, nil
}

// Set implements ChunkCache.
func (c *MemoryCache) Set(_ context.Context, key string, value []byte) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.m[key] = slices.Clone(value)
	return nil
}

// Len returns the number of entries.
func (c *MemoryCache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.m)
}

// canonicalOptions is GenerateOptions in a stable form: lists sorted and
// de-duplicated, words lower-cased, white space trimmed, defaults filled,
// Fresh left out (it asks for a new quiz; it does not change which quiz).
type canonicalOptions struct {
	QuestionCount int      `json:"n"`
	QuestionTypes []string `json:"types"`
	Difficulty    string   `json:"difficulty"`
	BloomLevels   []string `json:"bloom"`
	Language      string   `json:"lang"`
	Instructions  string   `json:"instructions"`
}

func canonical(o quizflow.GenerateOptions) canonicalOptions {
	norm := func(in []string) []string {
		out := make([]string, 0, len(in))
		for _, s := range in {
			if s = strings.ToLower(strings.TrimSpace(s)); s != "" {
				out = append(out, s)
			}
		}
		slices.Sort(out)
		return slices.Compact(out)
	}
	types := norm(o.QuestionTypes)
	if len(types) == 0 {
		types = []string{quizflow.MultipleChoice}
	}
	diff := strings.ToLower(strings.TrimSpace(o.Difficulty))
	if diff == "" {
		diff = quizflow.DifficultyMixed
	}
	return canonicalOptions{
		QuestionCount: o.QuestionCount,
		QuestionTypes: types,
		Difficulty:    diff,
		BloomLevels:   norm(o.BloomLevels),
		Language:      strings.ToLower(strings.ReplaceAll(strings.TrimSpace(o.Language), "_", "-")),
		Instructions:  strings.Join(strings.Fields(o.Instructions), " "),
	}
}

func hashJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // plain data: cannot fail
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// CacheKey identifies a quiz by what determines it: the document's
// content (its SHA-256), the canonicalised options and the owner. Two
// requests with the same key may share one generated quiz; options that
// differ only in order, case or white space give the same key, and Fresh
// is ignored. The key is a hex SHA-256 prefixed with a version.
func CacheKey(docSHA256 string, opts quizflow.GenerateOptions, ownerID string) string {
	return "v1:" + hashJSON(struct {
		V     int              `json:"v"`
		Doc   string           `json:"doc"`
		Owner string           `json:"owner"`
		Opts  canonicalOptions `json:"opts"`
	}{1, strings.ToLower(docSHA256), ownerID, canonical(opts)})
}
