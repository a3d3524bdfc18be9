package s3blob

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// Object is one stored object as a listing shows it.
type Object struct {
	Key  string
	ETag string // without quotes
	Size int64
}

// List calls fn with every object whose key starts with prefix, in key
// order, a page (up to 1,000 keys) at a time; an error from fn stops it.
func (s *Store) List(ctx context.Context, prefix string, fn func(Object) error) error {
	p := s3.NewListObjectsV2Paginator(s.client, &s3.ListObjectsV2Input{Bucket: &s.bucket, Prefix: aws.String(prefix)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("list %s/%s: %w", s.bucket, prefix, err)
		}
		for _, o := range page.Contents {
			if err := fn(Object{Key: aws.ToString(o.Key), ETag: strings.Trim(aws.ToString(o.ETag), `"`), Size: aws.ToInt64(o.Size)}); err != nil {
				return err
			}
		}
	}
	return nil
}

// CopyFrom copies object srcKey of bucket srcBucket to dstKey of this
// store's bucket, on the server side (objects up to 5 GiB).
func (s *Store) CopyFrom(ctx context.Context, srcBucket, srcKey, dstKey string) error {
	_, err := s.client.CopyObject(ctx, &s3.CopyObjectInput{
		Bucket: &s.bucket, Key: &dstKey, CopySource: aws.String(srcBucket + "/" + escapeKey(srcKey)),
	})
	if err != nil {
		return fmt.Errorf("copy %s/%s to %s/%s: %w", srcBucket, srcKey, s.bucket, dstKey, err)
	}
	return nil
}

// escapeKey URL-encodes a key for x-amz-copy-source, keeping slashes.
func escapeKey(k string) string {
	parts := strings.Split(k, "/")
	for i, p := range parts {
		parts[i] = url.PathEscape(p)
	}
	return strings.Join(parts, "/")
}
