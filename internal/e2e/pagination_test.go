package e2e_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/quizflow/quizflow/internal/client"
	"github.com/quizflow/quizflow/internal/quizflow"
)

// TestPagination walks the documents listing page by page: newest first,
// each document once, next_cursor empty after the last page.
func TestPagination(t *testing.T) {
	s := setup(t, func(o *setupOptions) { o.workers = 0 })
	c := s.user("Paige")
	other := s.user("Other")
	ctx := context.Background()
	const n = 7
	var ids []string
	for i := range n {
		up, err := c.UploadReader(ctx, fmt.Sprintf("n%d.md", i), strings.NewReader(fmt.Sprintf("# Note %d\n\nSome text about rivers and lakes number %d.\n", i, i)), nil)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, up.Document.ID)
	}
	if _, err := other.UploadReader(ctx, "x.md", strings.NewReader("# Other\n\nNot Paige's.\n"), nil); err != nil {
		t.Fatal(err)
	}
	var got []string
	cursor := ""
	pages := 0
	for {
		var page struct {
			Documents  []quizflow.Document `json:"documents"`
			NextCursor string              `json:"next_cursor"`
		}
		if err := c.Do(ctx, "GET", "/v1/documents?limit=3&cursor="+cursor, nil, &page); err != nil {
			t.Fatal(err)
		}
		pages++
		for _, d := range page.Documents {
			got = append(got, d.ID)
		}
		if page.NextCursor == "" {
			break
		}
		if pages > n {
			t.Fatal("pagination does not end")
		}
		cursor = page.NextCursor
	}
	if pages != 3 || len(got) != n {
		t.Fatalf("%d pages, %d documents; want 3 pages of 7", pages, len(got))
	}
	for i := range n {
		if got[i] != ids[n-1-i] {
			t.Fatalf("order %v, want newest first %v", got, ids)
		}
	}
	for _, q := range []string{"limit=0", "limit=201", "limit=x", "cursor=bm90LWEtY3Vyc29y", "cursor=!!!", "cursor=MTIzfA"} {
		err := c.Do(ctx, "GET", "/v1/documents?"+q, nil, nil)
		if client.StatusOf(err) != 400 {
			t.Errorf("GET /v1/documents?%s = %v, want 400", q, err)
		}
	}
}
