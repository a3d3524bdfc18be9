package e2e_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/quizflow/quizflow/internal/quizflow"
	"github.com/quizflow/quizflow/internal/s3blob"
)

// TestLargeUploadStreams uploads a file of several S3 parts (the upload is
// streamed in 5 MiB parts) and checks the stored bytes and the recorded
// SHA-256 match what was sent.
func TestLargeUploadStreams(t *testing.T) {
	s := setup(t, func(o *setupOptions) { o.env["MAX_FILE_SIZE"] = "12MiB" })
	c := s.user("Big")
	ctx := context.Background()
	var body bytes.Buffer
	for i := 0; body.Len() < 11<<20; i++ {
		fmt.Fprintf(&body, "Paragraph %d. The water cycle moves water between the oceans, the air and the land; evaporation, condensation and precipitation repeat without end.\n\n", i)
	}
	sum := sha256.Sum256(body.Bytes())
	up, err := c.UploadReader(ctx, "big.txt", bytes.NewReader(body.Bytes()), map[string]string{"question_count": "3"})
	if err != nil {
		t.Fatal(err)
	}
	if up.Document.Size != int64(body.Len()) || up.Document.SHA256 != hex.EncodeToString(sum[:]) {
		t.Errorf("recorded size %d sha %s, want %d %x", up.Document.Size, up.Document.SHA256, body.Len(), sum)
	}
	rc, size, err := s.app.Blobs.Open(ctx, s3blob.OriginalKey(up.Document.OwnerID, up.Document.ID))
	if err != nil {
		t.Fatal(err)
	}
	stored, err := io.ReadAll(rc)
	rc.Close()
	if err != nil || size != int64(body.Len()) || !bytes.Equal(stored, body.Bytes()) {
		t.Fatalf("stored object differs: size %d, err %v", size, err)
	}
	// 11 MiB of text is about 3,400 sections of 500 words: over MAX_PAGES,
	// which fails the job with a clear message rather than running long.
	if j := waitJob(t, c, up.Job.ID); j.Status != quizflow.StatusFailed || j.Error.Code != quizflow.ETOOMANY {
		t.Errorf("job %s %+v, want failed with %s", j.Status, j.Error, quizflow.ETOOMANY)
	}
	// One byte over the limit is refused and nothing is left behind.
	over := bytes.Repeat([]byte("a "), 6<<20+1)
	if _, err := c.UploadReader(ctx, "over.txt", bytes.NewReader(over), nil); err == nil {
		t.Fatal("upload over MAX_FILE_SIZE accepted")
	}
	var docs struct{ Documents []quizflow.Document }
	if err := c.Do(ctx, "GET", "/v1/documents", nil, &docs); err != nil || len(docs.Documents) != 1 {
		t.Errorf("documents after a refused upload: %d (%v), want 1", len(docs.Documents), err)
	}
}

// TestPublicS3Endpoint: with S3_PUBLIC_ENDPOINT set, download links point
// at the store's public address, not the internal one, and work.
func TestPublicS3Endpoint(t *testing.T) {
	var public string
	s := setup(t, func(o *setupOptions) {
		o.vars = func(v map[string]string) {
			// The same server under another name stands in for the public URL.
			public = strings.Replace(v["S3_ENDPOINT"], "127.0.0.1", "localhost", 1)
			v["S3_PUBLIC_ENDPOINT"] = public
		}
	})
	c := s.user("Pablo")
	ctx := context.Background()
	_, q := quizFor(t, c, "lesson.md", map[string]string{"question_count": "3"})
	var ex struct {
		Export quizflow.Export `json:"export"`
		Job    quizflow.Job    `json:"job"`
	}
	if err := c.Do(ctx, "POST", "/v1/quizzes/"+q.ID+"/exports", map[string]any{"format": "aiken"}, &ex); err != nil {
		t.Fatal(err)
	}
	waitJob(t, c, ex.Job.ID)
	req, _ := http.NewRequest("GET", s.url+"/v1/exports/"+ex.Export.ID+"/download", nil)
	req.Header.Set("Authorization", "Bearer "+c.Token)
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noFollow.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusFound || !strings.HasPrefix(loc, public+"/") {
		t.Fatalf("download = %d to %q, want a link under %s", resp.StatusCode, loc, public)
	}
	got, err := http.Get(loc)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(got.Body)
	got.Body.Close()
	if got.StatusCode != 200 || len(body) == 0 {
		t.Fatalf("public link = %d, %d bytes", got.StatusCode, len(body))
	}
}
