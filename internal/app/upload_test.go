package app_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"testing"

	"github.com/quizflow/quizflow/internal/quizflow"
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
	rc, size, err := s.app.Blobs.Open(ctx, quizflow.OriginalKey(up.Document.OwnerID, up.Document.ID))
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
