package aliyun

import (
	"context"

	"github.com/alibabacloud-go/tea/dara"
	vpc "github.com/alibabacloud-go/vpc-20160428/v6/client"

	"github.com/tmsync/tmsync/internal/cloud"
)

// simple makes a call whose answer carries nothing but a request ID. fn
// reports whether the answer had a body.
func (c *Client) simple(ctx context.Context, action string, fn func(sdk *vpc.Client, rt *dara.RuntimeOptions) (bool, error)) error {
	_, err := c.call(ctx, action, func(sdk *vpc.Client, rt *dara.RuntimeOptions) error {
		ok, err := fn(sdk, rt)
		if err == nil && !ok {
			return errEmptyAnswer
		}
		return err
	})
	return err
}

// pages calls page until the API returns no NextToken. page makes one call
// with rt and the token (nil on the first page) and returns the next one.
func (c *Client) pages(ctx context.Context, action string, page func(sdk *vpc.Client, rt *dara.RuntimeOptions, token *string) (string, error)) error {
	return follow(action, func(token *string) (string, error) {
		var next string
		_, err := c.call(ctx, action, func(sdk *vpc.Client, rt *dara.RuntimeOptions) error {
			var err error
			next, err = page(sdk, rt, token)
			return err
		})
		return next, err
	})
}

// follow calls page with each NextToken (nil first) until there is none.
func follow(action string, page func(token *string) (next string, err error)) error {
	var token *string
	seen := map[string]bool{}
	for {
		next, err := page(token)
		if err != nil {
			return err
		}
		if next == "" {
			return nil
		}
		if seen[next] {
			// A token that comes back would page forever.
			return malformed(action, "NextToken %q came back twice", next)
		}
		seen[next] = true
		token = ptr(next)
	}
}

// writeOpts returns the ClientToken and DryRun parameters of a write. A dry
// run sends no token: it changes nothing, so there is nothing to make
// idempotent, and a service that remembered the token with its
// DryRunOperation answer would replay that refusal to the real call (or call
// the real call a mismatch).
func writeOpts(o cloud.WriteOptions) (token *string, dryRun *bool) {
	if o.DryRun {
		return nil, ptr(true)
	}
	return nonEmpty(o.Token), nil
}

// goneIsDone makes deletes idempotent (the cloud.Client contract): an
// object that is not found is deleted already. A dry run keeps the error,
// because it reports what the real call would meet.
func goneIsDone(err error, o cloud.WriteOptions) error {
	if !o.DryRun && cloud.IsKind(err, cloud.KindNotFound) {
		return nil
	}
	return err
}

// idBatches splits ids (deduplicated, in first-seen order) into batches of
// at most n. No IDs is one batch without an ID filter.
func idBatches(ids []string, n int) [][]string {
	if len(ids) == 0 {
		return [][]string{nil}
	}
	return chunks(uniqueBy(ids, func(s string) string { return s }), n)
}

// chunks splits s into consecutive slices of at most n; none when s is empty.
func chunks[T any](s []T, n int) [][]T {
	var out [][]T
	for len(s) > n {
		out = append(out, s[:n:n])
		s = s[n:]
	}
	if len(s) > 0 {
		out = append(out, s)
	}
	return out
}

// uniqueBy drops later elements with a key seen before. Pages can overlap
// when objects are created or deleted between two page requests.
func uniqueBy[T any](s []T, key func(T) string) []T {
	seen := make(map[string]bool, len(s))
	out := s[:0:0]
	for _, v := range s {
		k := key(v)
		if seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, v)
	}
	return out
}

func ptrs(s []string) []*string {
	if len(s) == 0 {
		return nil
	}
	out := make([]*string, len(s))
	for i := range s {
		out[i] = ptr(s[i])
	}
	return out
}

// nonEmpty returns nil for "": the SDK sends a pointer to "" as "Name=",
// which is not the same as leaving the parameter out.
func nonEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func int32Ptr(p *int) *int32 {
	if p == nil {
		return nil
	}
	return ptr(int32(*p))
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// addTag adds k=v to t, allocating it on first use. Empty keys are not tags.
func addTag(t cloud.Tags, k, v string) cloud.Tags {
	if k == "" {
		return t
	}
	if t == nil {
		t = cloud.Tags{}
	}
	t[k] = v
	return t
}
