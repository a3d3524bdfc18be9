package generate_test

import (
	"testing"

	"github.com/quizflow/quizflow/internal/generate"
)

// The embedded loader means no network is needed: this test runs on a
// machine without internet access.
func TestTiktokenOffline(t *testing.T) {
	for _, enc := range []string{generate.EncodingO200K, generate.EncodingCL100K} {
		tk, err := generate.NewTiktoken(enc)
		if err != nil {
			t.Fatal(err)
		}
		// "hello world" is two tokens in both encodings.
		if n := tk.Count("hello world"); n != 2 {
			t.Errorf("%s: Count(hello world) = %d, want 2", enc, n)
		}
		if n := tk.Count("<|endoftext|>"); n < 2 {
			t.Errorf("%s: special token text counted as %d tokens, want ordinary text", enc, n)
		}
	}
	if got := generate.EncodingForModel("gpt-4o-mini-2024-07-18"); got != generate.EncodingO200K {
		t.Errorf("EncodingForModel = %s", got)
	}
}
