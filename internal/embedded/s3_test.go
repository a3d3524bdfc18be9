package embedded_test

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/quizflow/quizflow/internal/embedded"
)

func startS3(t *testing.T, opt embedded.S3Options) *embedded.S3 {
	t.Helper()
	s, err := embedded.StartS3(testContext(t), opt)
	if err != nil {
		t.Fatalf("StartS3: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

func s3Client(s *embedded.S3) *s3.Client {
	return s3.New(s3.Options{
		Region:       s.Region,
		BaseEndpoint: aws.String(s.Endpoint),
		Credentials:  credentials.NewStaticCredentialsProvider(s.AccessKey, s.SecretKey, ""),
		UsePathStyle: true,
	})
}

func TestS3(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	s := startS3(t, embedded.S3Options{Bucket: "quizflow"})
	if !strings.HasPrefix(s.Endpoint, "http://127.0.0.1:") || s.Bucket != "quizflow" || s.Region != "us-east-1" {
		t.Fatalf("S3 = %+v", *s)
	}
	c := s3Client(s)
	bucket := aws.String(s.Bucket)

	if _, err := c.PutObject(ctx, &s3.PutObjectInput{
		Bucket: bucket, Key: aws.String("docs/a.txt"), Body: strings.NewReader("hello"),
		ContentType: aws.String("text/plain"),
	}); err != nil {
		t.Fatalf("put: %v", err)
	}
	head, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: bucket, Key: aws.String("docs/a.txt")})
	if err != nil {
		t.Fatalf("head: %v", err)
	}
	if aws.ToInt64(head.ContentLength) != 5 || aws.ToString(head.ContentType) != "text/plain" {
		t.Fatalf("head = length %d, type %q", aws.ToInt64(head.ContentLength), aws.ToString(head.ContentType))
	}
	got, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: bucket, Key: aws.String("docs/a.txt")})
	if err != nil {
		t.Fatalf("get: %v", err)
	}
	body, _ := io.ReadAll(got.Body)
	got.Body.Close()
	if string(body) != "hello" {
		t.Fatalf("get = %q", body)
	}
	list, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: bucket, Prefix: aws.String("docs/")})
	if err != nil {
		t.Fatalf("list: %v", err)
	}
	if len(list.Contents) != 1 || aws.ToString(list.Contents[0].Key) != "docs/a.txt" {
		t.Fatalf("list = %+v", list.Contents)
	}

	// A presigned GET works with plain net/http.
	pre, err := s3.NewPresignClient(c).PresignGetObject(ctx, &s3.GetObjectInput{Bucket: bucket, Key: aws.String("docs/a.txt")},
		s3.WithPresignExpires(15*time.Minute))
	if err != nil {
		t.Fatalf("presign: %v", err)
	}
	resp, err := http.Get(pre.URL)
	if err != nil {
		t.Fatalf("GET presigned: %v", err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || string(body) != "hello" {
		t.Fatalf("GET presigned = %d %q", resp.StatusCode, body)
	}

	if _, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: bucket, Key: aws.String("docs/a.txt")}); err != nil {
		t.Fatalf("delete: %v", err)
	}
	_, err = c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: bucket, Key: aws.String("docs/a.txt")})
	var nf *types.NotFound
	if !errors.As(err, &nf) {
		t.Fatalf("head after delete: err = %v; want NotFound", err)
	}

	// A copy for another bucket shares the server but cannot stop it.
	other := s.WithBucket("other")
	if err := other.CreateBucket(other.Bucket); err != nil {
		t.Fatalf("create other bucket: %v", err)
	}
	if err := other.Close(); err != nil {
		t.Fatalf("Close copy: %v", err)
	}
	if _, err := c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String("other")}); err != nil {
		t.Fatalf("head other bucket after closing the copy: %v", err)
	}
	if err := s.DeleteBucket("other"); err != nil {
		t.Fatalf("delete other bucket: %v", err)
	}
	if err := s.CreateBucket("ab"); err == nil {
		t.Fatal("CreateBucket(\"ab\") succeeded; bucket names need 3 characters")
	}
}

func TestS3PersistenceAndSideBySide(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	dirA, dirB := t.TempDir(), t.TempDir()

	a := startS3(t, embedded.S3Options{Dir: dirA, Bucket: "files"})
	b := startS3(t, embedded.S3Options{Dir: dirB, Bucket: "files"})
	if _, err := s3Client(a).PutObject(ctx, &s3.PutObjectInput{
		Bucket: aws.String("files"), Key: aws.String("kept.bin"), Body: bytes.NewReader([]byte{1, 2, 3}),
	}); err != nil {
		t.Fatalf("put into a: %v", err)
	}
	list, err := s3Client(b).ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("files")})
	if err != nil || len(list.Contents) != 0 {
		t.Fatalf("list b = %d objects, %v; want 0", len(list.Contents), err)
	}

	// A second server on a Dir in use fails instead of hanging.
	if s, err := embedded.StartS3(ctx, embedded.S3Options{Dir: dirB}); err == nil {
		s.Close()
		t.Fatal("second StartS3 on the same Dir succeeded")
	}

	if err := a.Close(); err != nil {
		t.Fatalf("Close a: %v", err)
	}
	again := startS3(t, embedded.S3Options{Dir: dirA, Bucket: "files"})
	got, err := s3Client(again).GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("files"), Key: aws.String("kept.bin")})
	if err != nil {
		t.Fatalf("get after restart: %v", err)
	}
	body, _ := io.ReadAll(got.Body)
	got.Body.Close()
	if !bytes.Equal(body, []byte{1, 2, 3}) {
		t.Fatalf("get after restart = %v", body)
	}
}
