package e2e_test

import (
	"archive/zip"
	"bytes"
	"context"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/quizflow/quizflow/internal/client"
	"github.com/quizflow/quizflow/internal/quizflow"
)

// zipBomb returns a small DOCX-looking zip whose document.xml inflates to
// about 200 MiB.
func zipBomb(t *testing.T) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	ct, _ := zw.Create("[Content_Types].xml")
	ct.Write([]byte(`<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>`))
	w, _ := zw.Create("word/document.xml")
	w.Write([]byte(`<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>`))
	chunk := bytes.Repeat([]byte("bomb "), 1<<16)
	for range 200 << 20 / len(chunk) {
		w.Write(chunk)
	}
	w.Write([]byte(`</w:t></w:r></w:p></w:body></w:document>`))
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if buf.Len() > testMaxFileSize {
		t.Fatalf("bomb is %d bytes, over the upload limit", buf.Len())
	}
	return buf.Bytes()
}

// TestBadInputs sends every kind of unusable upload and checks each ends as
// a 4xx or a failed job with a clear error, and that the worker keeps
// processing good documents afterwards.
func TestBadInputs(t *testing.T) {
	s := setup(t)
	c := s.user("Mallory")
	ctx := context.Background()
	read := func(name string) []byte {
		b, err := os.ReadFile(fixture(t, name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	goodText := read("lesson.md")

	// Rejected at upload, by status code.
	rejected := []struct {
		name   string
		file   string
		data   []byte
		fields map[string]string
		status int
		code   string
		field  string
	}{
		{"empty file", "empty.pdf", nil, nil, 400, quizflow.EINVALID, "file"},
		{"ELF renamed .pdf", "report.pdf", read("bad-elf-renamed.pdf"), nil, 415, quizflow.EUNSUPPORTED, ""},
		{"PNG renamed .pdf", "scan.pdf", read("bad-png-renamed.pdf"), nil, 415, quizflow.EUNSUPPORTED, ""},
		{"zip that is not Word", "notes.docx", read("bad-not-word.docx"), nil, 415, quizflow.EUNSUPPORTED, ""},
		{"Word 97 .doc renamed", "old.docx", read("bad-ole-word97.docx"), nil, 415, quizflow.EUNSUPPORTED, ""},
		{"over MAX_FILE_SIZE", "big.txt", bytes.Repeat([]byte("All work and no play. "), testMaxFileSize/22+1000), nil, 413, quizflow.ETOOLARGE, ""},
		{"Latin-1 text", "latin1.txt", append(append([]byte{}, goodText...), []byte("\n\nCaf\xe9 cr\xe8me costs \xa35.\n")...), nil, 422, quizflow.EENCODING, ""},
		{"question_count 0", "a.md", goodText, map[string]string{"question_count": "0"}, 400, quizflow.EINVALID, "question_count"},
		{"question_count 51 on free plan", "a.md", goodText, map[string]string{"question_count": "51"}, 400, quizflow.EINVALID, "question_count"},
		{"question_count not a number", "a.md", goodText, map[string]string{"question_count": "ten"}, 400, quizflow.EINVALID, "question_count"},
		{"bad difficulty", "a.md", goodText, map[string]string{"difficulty": "impossible"}, 400, quizflow.EINVALID, "difficulty"},
		{"bad language", "a.md", goodText, map[string]string{"language": "english"}, 400, quizflow.EINVALID, "language"},
	}
	for _, tt := range rejected {
		t.Run("reject/"+tt.name, func(t *testing.T) {
			_, err := c.UploadReader(ctx, tt.file, bytes.NewReader(tt.data), tt.fields)
			var ae *client.APIError
			if !asAPIError(err, &ae) || ae.Status != tt.status || ae.Code != tt.code || ae.Field != tt.field {
				t.Fatalf("upload = %v (%+v), want %d %s field %q", err, ae, tt.status, tt.code, tt.field)
			}
			if ae.Message == "" || strings.Contains(ae.Message, "127.0.0.1") || ae.RequestID == "" {
				t.Errorf("error body not user-facing: %+v", ae)
			}
		})
	}

	// Malformed requests.
	t.Run("reject/not multipart", func(t *testing.T) {
		code, body, _ := raw(t, "POST", s.url+"/v1/documents", c.Token, strings.NewReader(`{"file":"x"}`), map[string]string{"Content-Type": "application/json"})
		if code != 400 || !strings.Contains(body, "multipart/form-data") {
			t.Errorf("got %d %s", code, body)
		}
	})
	t.Run("reject/no file field", func(t *testing.T) {
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		mw.WriteField("question_count", "5")
		mw.Close()
		code, body, _ := raw(t, "POST", s.url+"/v1/documents", c.Token, &buf, map[string]string{"Content-Type": mw.FormDataContentType()})
		if code != 400 || !strings.Contains(body, `"field":"file"`) {
			t.Errorf("got %d %s", code, body)
		}
	})
	t.Run("reject/cut multipart body", func(t *testing.T) {
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		fw, _ := mw.CreateFormFile("file", "a.md")
		fw.Write(goodText)
		mw.Close()
		cut := buf.Bytes()[:buf.Len()-40]
		code, body, _ := raw(t, "POST", s.url+"/v1/documents", c.Token, bytes.NewReader(cut), map[string]string{"Content-Type": mw.FormDataContentType()})
		if code != 400 {
			t.Errorf("got %d %s", code, body)
		}
	})

	// Accepted (the type is right) but unreadable: the job fails at once
	// with a clear error and no retries.
	latin1 := []byte("\n\nCaf\xe9 cr\xe8me costs \xa35.\n")
	invalidUTF8 := append(bytes.Repeat(goodText, 5), latin1...) // past the 8 KiB sniffed at upload
	failing := []struct {
		name string
		file string
		data []byte
		code string
		msg  string
	}{
		{"truncated PDF", "t.pdf", read("bad-truncated.pdf"), quizflow.ECORRUPT, ""},
		{"garbled PDF", "g.pdf", read("bad-corrupt.pdf"), quizflow.ECORRUPT, ""},
		{"encrypted PDF", "e.pdf", read("bad-encrypted-aes256.pdf"), quizflow.EENCRYPTED, "password"},
		{"image-only PDF", "scan.pdf", read("bad-image-only.pdf"), quizflow.ENOTEXT, "scan"},
		{"zip bomb posing as DOCX", "bomb.docx", zipBomb(t), quizflow.ETOOLARGE, ""},
		{"text with invalid UTF-8 after the sniffed head", "latin1.txt", invalidUTF8, quizflow.EENCODING, "UTF-8"},
	}
	for _, tt := range failing {
		t.Run("fail/"+tt.name, func(t *testing.T) {
			up, err := c.UploadReader(ctx, tt.file, bytes.NewReader(tt.data), nil)
			if err != nil {
				t.Fatalf("upload: %v", err)
			}
			job := waitJob(t, c, up.Job.ID)
			if job.Status != quizflow.StatusFailed || job.Error == nil || job.Error.Code != tt.code {
				t.Fatalf("job = %s %+v, want failed with %s", job.Status, job.Error, tt.code)
			}
			if job.Attempts != 1 {
				t.Errorf("attempts = %d, want 1 (a permanent failure must not be retried)", job.Attempts)
			}
			if !strings.Contains(job.Error.Message, tt.msg) || len(job.Error.Message) < 20 {
				t.Errorf("error message %q is not a clear sentence mentioning %q", job.Error.Message, tt.msg)
			}
			var doc quizflow.Document
			if err := c.Do(ctx, "GET", "/v1/documents/"+up.Document.ID, nil, &doc); err != nil || doc.Status != quizflow.DocumentFailed {
				t.Errorf("document status = %q (%v), want failed", doc.Status, err)
			}
			if err := c.Do(ctx, "GET", "/v1/documents/"+up.Document.ID+"/text", nil, nil); client.StatusOf(err) != 409 {
				t.Errorf("text of failed document: %v, want 409", err)
			}
		})
	}

	// The worker is alive and well after all of that.
	up, err := c.UploadReader(ctx, "after.md", bytes.NewReader(goodText), map[string]string{"question_count": "3"})
	if err != nil {
		t.Fatal(err)
	}
	if job := waitJob(t, c, up.Job.ID); job.Status != quizflow.StatusSucceeded {
		t.Fatalf("good upload after bad ones: %s %+v", job.Status, job.Error)
	}
}

func asAPIError(err error, target **client.APIError) bool {
	ae, ok := err.(*client.APIError)
	if ok {
		*target = ae
	}
	return ok
}

// TestOptionsCheckedBeforeFile: fields sent before the file are validated
// before the file is read, so the server answers 400 without consuming a
// body whose file never ends.
func TestOptionsCheckedBeforeFile(t *testing.T) {
	s := setup(t)
	c := s.user("Early")
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	go func() {
		mw.WriteField("question_count", "999")
		fw, _ := mw.CreateFormFile("file", "endless.md")
		fw.Write([]byte("# Title\n\nSome text.\n"))
		// ...and never finish: only an early answer ends this request.
	}()
	defer pw.Close()
	req, _ := http.NewRequest("POST", s.url+"/v1/documents", pr)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+c.Token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 400 || !strings.Contains(string(body), `"field":"question_count"`) {
		t.Fatalf("got %d %s", resp.StatusCode, body)
	}
}
