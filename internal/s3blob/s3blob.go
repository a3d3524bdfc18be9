// Package s3blob stores QuizFlow's files (uploads, extracted text, exports,
// backups) in S3 or any S3-compatible store through aws-sdk-go-v2.
package s3blob

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/feature/s3/transfermanager"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/quizflow/quizflow/internal/quizflow"
)

// minPartSize is S3's smallest multipart part (the last part may be smaller).
const minPartSize = 5 << 20

// Config says which store and bucket to use.
type Config struct {
	Bucket string
	// Endpoint is the base URL of an S3-compatible store; empty means AWS.
	// A custom endpoint uses path-style addressing.
	Endpoint string
	Region   string
	// AccessKey and SecretKey are static credentials; empty means the AWS
	// default chain (environment, shared config, instance role).
	AccessKey, SecretKey string
	// PublicEndpoint, if set, is the base URL browsers reach the store at,
	// used for presigned download links when Endpoint is an internal
	// address (http://minio:9000 inside a compose network, say).
	PublicEndpoint string
}

// Store reads and writes objects of one bucket.
type Store struct {
	client   *s3.Client
	presign  *s3.PresignClient
	uploader *transfermanager.Client
	bucket   string
}

// New returns a Store for cfg. It does not contact the store.
func New(ctx context.Context, cfg Config) (*Store, error) {
	opts := []func(*awsconfig.LoadOptions) error{awsconfig.WithRegion(cfg.Region)}
	if cfg.AccessKey != "" {
		opts = append(opts, awsconfig.WithCredentialsProvider(
			credentials.NewStaticCredentialsProvider(cfg.AccessKey, cfg.SecretKey, "")))
	}
	awsCfg, err := awsconfig.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("load aws config: %w", err)
	}
	presignClient := (*s3.Client)(nil)
	if cfg.PublicEndpoint != "" {
		presignClient = s3.NewFromConfig(awsCfg, func(o *s3.Options) {
			o.BaseEndpoint = aws.String(cfg.PublicEndpoint)
			o.UsePathStyle = true
		})
	}
	client := s3.NewFromConfig(awsCfg, func(o *s3.Options) {
		// Objects written by other tools may carry no checksum; skipping
		// validation then is expected, not worth a log line per read.
		o.DisableLogOutputChecksumValidationSkipped = true
		if cfg.Endpoint != "" {
			o.BaseEndpoint = aws.String(cfg.Endpoint)
			o.UsePathStyle = true
		}
	})
	return &Store{
		client:  client,
		presign: s3.NewPresignClient(cmp.Or(presignClient, client)),
		uploader: transfermanager.New(client, func(o *transfermanager.Options) {
			// Parts are buffered one at a time: memory per upload stays
			// near PartSizeBytes whatever the file size.
			o.PartSizeBytes = minPartSize
			o.MultipartUploadThreshold = minPartSize
			o.Concurrency = 1
		}),
		bucket: cfg.Bucket,
	}, nil
}

// Bucket returns the bucket name.
func (s *Store) Bucket() string { return s.bucket }

// Ping checks that the bucket answers.
func (s *Store) Ping(ctx context.Context) error {
	if _, err := s.client.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: &s.bucket}); err != nil {
		return fmt.Errorf("head bucket %s: %w", s.bucket, err)
	}
	return nil
}

// EnsureBucket creates the bucket if it does not exist (development stacks).
func (s *Store) EnsureBucket(ctx context.Context) error {
	if s.Ping(ctx) == nil {
		return nil
	}
	_, err := s.client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: &s.bucket})
	var owned *types.BucketAlreadyOwnedByYou
	if err != nil && !errors.As(err, &owned) {
		return fmt.Errorf("create bucket %s: %w", s.bucket, err)
	}
	return nil
}

// Upload streams r to key without holding it all in memory.
func (s *Store) Upload(ctx context.Context, key string, r io.Reader, contentType string) error {
	_, err := s.uploader.UploadObject(ctx, &transfermanager.UploadObjectInput{
		Bucket: &s.bucket, Key: &key, Body: r, ContentType: aws.String(contentType),
	})
	if err != nil {
		return fmt.Errorf("upload %s: %w", key, err)
	}
	return nil
}

// Put writes b to key.
func (s *Store) Put(ctx context.Context, key string, b []byte, contentType string) error {
	_, err := s.client.PutObject(ctx, &s3.PutObjectInput{
		Bucket: &s.bucket, Key: &key, Body: bytes.NewReader(b), ContentType: aws.String(contentType),
		ContentLength: aws.Int64(int64(len(b))),
	})
	if err != nil {
		return fmt.Errorf("put %s: %w", key, err)
	}
	return nil
}

// Open returns a reader of key and its size. It returns ENOTFOUND if the
// object does not exist.
func (s *Store) Open(ctx context.Context, key string) (io.ReadCloser, int64, error) {
	out, err := s.client.GetObject(ctx, &s3.GetObjectInput{Bucket: &s.bucket, Key: &key})
	if err != nil {
		var nsk *types.NoSuchKey
		if errors.As(err, &nsk) {
			return nil, 0, quizflow.Errorf(quizflow.ENOTFOUND, "file not found")
		}
		return nil, 0, fmt.Errorf("get %s: %w", key, err)
	}
	return out.Body, aws.ToInt64(out.ContentLength), nil
}

// Get reads all of key, refusing objects over limit bytes.
func (s *Store) Get(ctx context.Context, key string, limit int64) ([]byte, error) {
	rc, size, err := s.Open(ctx, key)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	if size > limit {
		return nil, fmt.Errorf("get %s: %d bytes exceeds limit %d", key, size, limit)
	}
	b, err := io.ReadAll(io.LimitReader(rc, limit+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", key, err)
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("get %s: exceeds limit %d", key, limit)
	}
	return b, nil
}

// Delete removes keys; missing keys are not an error.
func (s *Store) Delete(ctx context.Context, keys ...string) error {
	for _, k := range keys {
		if k == "" {
			continue
		}
		if _, err := s.client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &s.bucket, Key: aws.String(k)}); err != nil {
			return fmt.Errorf("delete %s: %w", k, err)
		}
	}
	return nil
}

// Exists reports whether key exists.
func (s *Store) Exists(ctx context.Context, key string) (bool, error) {
	_, err := s.client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &s.bucket, Key: &key})
	if err == nil {
		return true, nil
	}
	var nf *types.NotFound
	if errors.As(err, &nf) {
		return false, nil
	}
	return false, fmt.Errorf("head %s: %w", key, err)
}

// PresignGet returns a URL that downloads key for ttl, served with the
// given file name and content type.
func (s *Store) PresignGet(ctx context.Context, key, filename, contentType string, ttl time.Duration) (string, error) {
	req, err := s.presign.PresignGetObject(ctx, &s3.GetObjectInput{
		Bucket:                     &s.bucket,
		Key:                        &key,
		ResponseContentDisposition: aws.String(mime.FormatMediaType("attachment", map[string]string{"filename": filename})),
		ResponseContentType:        aws.String(contentType),
	}, s3.WithPresignExpires(ttl))
	if err != nil {
		return "", fmt.Errorf("presign %s: %w", key, err)
	}
	return req.URL, nil
}

// PutText stores the extracted pages of owner's document docID as JSON
// and returns their key.
func (s *Store) PutText(ctx context.Context, owner, docID string, pages []quizflow.Page) (string, error) {
	b, err := json.Marshal(quizflow.DocumentText{Pages: pages})
	if err != nil {
		return "", fmt.Errorf("encode text: %w", err)
	}
	key := TextKey(owner, docID)
	return key, s.Put(ctx, key, b, "application/json")
}

// GetText reads the pages stored by PutText; ENOTFOUND if missing.
func (s *Store) GetText(ctx context.Context, key string) ([]quizflow.Page, error) {
	b, err := s.Get(ctx, key, MaxTextBytes)
	if err != nil {
		return nil, err
	}
	var t quizflow.DocumentText
	if err := json.Unmarshal(b, &t); err != nil {
		return nil, fmt.Errorf("decode text %s: %w", key, err)
	}
	return t.Pages, nil
}
