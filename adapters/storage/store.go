package storage

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/ideobus/ideobus/handlers"
	"github.com/ideobus/ideobus/messages"
)

var _ handlers.ObjectStore = (*Store)(nil)

// Store reads and writes objects in one R2 bucket. It is safe for concurrent
// use.
type Store struct {
	client       *s3.Client
	bucket       string
	publicBase   string
	cacheControl string
}

// New validates cfg and returns a Store. It does not touch the network.
func New(ctx context.Context, cfg Config) (*Store, error) {
	_ = ctx // reserved: credential or endpoint discovery would need it
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	opts := s3.Options{
		// R2 has a single, global region and wants "auto" in the signature.
		Region:       "auto",
		Credentials:  credentials.NewStaticCredentialsProvider(cfg.AccessKeyID, cfg.SecretAccessKey, ""),
		BaseEndpoint: aws.String(cfg.endpoint()),
		UsePathStyle: cfg.UsePathStyle,
		// SDK releases since s3 1.73 add CRC32 checksums (and aws-chunked
		// trailers) to every upload; R2 rejects some of them.
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenRequired,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenRequired,
		RetryMaxAttempts:           cfg.MaxAttempts,
	}
	cc := cfg.CacheControl
	if cc == "" {
		cc = DefaultCacheControl
	}
	return &Store{
		client:       s3.New(opts),
		bucket:       cfg.Bucket,
		publicBase:   strings.TrimRight(cfg.PublicBaseURL, "/"),
		cacheControl: cc,
	}, nil
}

// Bucket is the bucket the store writes to.
func (s *Store) Bucket() string { return s.bucket }

// URL is the public URL of key: the public base URL joined with the key, each
// path segment escaped.
func (s *Store) URL(key string) string {
	segs := strings.Split(key, "/")
	for i, seg := range segs {
		segs[i] = url.PathEscape(seg)
	}
	return s.publicBase + "/" + strings.Join(segs, "/")
}

// Put writes body under key, replacing any object already there, and returns
// the stored asset. Replaying a Put is therefore harmless.
func (s *Store) Put(ctx context.Context, key string, body []byte, contentType string) (messages.Asset, error) {
	asset, err := s.put(ctx, key, body, contentType, false)
	if err != nil {
		return messages.Asset{}, classify("put", key, err)
	}
	return asset, nil
}

// put is the one PutObject of Put and PutIfAbsent. It returns the SDK's
// error unclassified, so a failed precondition can be told apart.
func (s *Store) put(ctx context.Context, key string, body []byte, contentType string, ifAbsent bool) (messages.Asset, error) {
	if key == "" {
		return messages.Asset{}, messages.Permanent(messages.CodeStorageFailed, "put: empty object key")
	}
	if contentType == "" {
		contentType = http.DetectContentType(body)
	}
	in := &s3.PutObjectInput{
		Bucket:        aws.String(s.bucket),
		Key:           aws.String(key),
		Body:          bytes.NewReader(body),
		ContentLength: aws.Int64(int64(len(body))),
		ContentType:   aws.String(contentType),
		CacheControl:  aws.String(s.cacheControl),
	}
	if ifAbsent {
		in.IfNoneMatch = aws.String("*")
	}
	if _, err := s.client.PutObject(ctx, in); err != nil {
		return messages.Asset{}, err
	}
	sum := sha256.Sum256(body)
	return messages.Asset{
		Key:         key,
		URL:         s.URL(key),
		Bytes:       int64(len(body)),
		ContentType: contentType,
		SHA256:      hex.EncodeToString(sum[:]),
	}, nil
}

// Get reads the object at key. A missing object is a non-retryable
// storage_failed error that matches ErrNotFound.
func (s *Store) Get(ctx context.Context, key string) ([]byte, error) {
	out, err := s.client.GetObject(ctx, &s3.GetObjectInput{
		Bucket: aws.String(s.bucket),
		Key:    aws.String(key),
	})
	if err != nil {
		return nil, classify("get", key, err)
	}
	defer out.Body.Close()
	body, err := io.ReadAll(out.Body)
	if err != nil {
		// The body broke mid-stream: the object is there, the network is not.
		return nil, classify("get", key, fmt.Errorf("read body: %w", err))
	}
	return body, nil
}

// Exists reports whether an object is stored at key, without reading it.
// HEAD answers carry no error code, so a missing bucket reads as false too;
// where that difference costs money (a ledger check before a paid call), use
// Get, which tells them apart.
func (s *Store) Exists(ctx context.Context, key string) (bool, error) {
	_, err := s.client.HeadObject(ctx, &s3.HeadObjectInput{
		Bucket: aws.String(s.bucket),
		Key:    aws.String(key),
	})
	if err == nil {
		return true, nil
	}
	if isMissing(err) {
		return false, nil
	}
	return false, classify("head", key, err)
}

// EnsureBucket creates the bucket if it does not exist. Production buckets are
// provisioned ahead of time (and API tokens scoped to objects may not be
// allowed to call this); it is for LocalServer and demos.
func (s *Store) EnsureBucket(ctx context.Context) error {
	_, err := s.client.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(s.bucket)})
	if err == nil {
		return nil
	}
	if !isMissingBucket(err) {
		return classify("head bucket", s.bucket, err)
	}
	_, err = s.client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(s.bucket)})
	var owned *types.BucketAlreadyOwnedByYou
	var exists *types.BucketAlreadyExists // a concurrent EnsureBucket won the race
	if err == nil || errors.As(err, &owned) || errors.As(err, &exists) {
		return nil
	}
	return classify("create bucket", s.bucket, err)
}

func isMissingBucket(err error) bool {
	var noBucket *types.NoSuchBucket
	var notFound *types.NotFound
	return errors.As(err, &noBucket) || errors.As(err, &notFound) || httpStatus(err) == http.StatusNotFound
}

// List returns the keys under prefix, in lexical order, following
// continuation tokens across pages.
func (s *Store) List(ctx context.Context, prefix string) ([]string, error) {
	var keys []string
	p := s3.NewListObjectsV2Paginator(s.client, &s3.ListObjectsV2Input{
		Bucket: aws.String(s.bucket),
		Prefix: aws.String(prefix),
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, classify("list", prefix, err)
		}
		for _, o := range page.Contents {
			keys = append(keys, aws.ToString(o.Key))
		}
	}
	return keys, nil
}
