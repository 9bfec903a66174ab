package aliyun

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"

	ecs "github.com/alibabacloud-go/ecs-20140526/v7/client"
	"github.com/alibabacloud-go/tea/dara"

	"github.com/tmsync/tmsync/internal/cloud"
)

// Limits of ECS DescribeNetworkInterfaces.
const (
	// eniPageSize is the most ENIs one page holds (MaxResults).
	eniPageSize = 500
	// eniIDsPerCall is the most NetworkInterfaceId.N of one call.
	eniIDsPerCall = 100
	// ENITagQueryLimit is the most ENIs the API answers, over all pages,
	// for a query by tag.
	ENITagQueryLimit = 1000
)

// DescribeNetworkInterfaces lists the ENIs of the client's region that q
// selects, in ID order: every page of 500, and the IDs 100 a call.
//
// A query by tag is answered with at most 1,000 ENIs. When its TotalCount
// says more match than the pages held, or the pages held 1,000 (the API
// documents TotalCount as unreliable while paging by NextToken, so a full
// answer cannot be told from a cut one), the result is an error of
// cloud.KindTruncated: a part of a fleet must never pass for all of it.
func (c *Client) DescribeNetworkInterfaces(ctx context.Context, q cloud.ENIQuery) ([]cloud.ENI, error) {
	var out []cloud.ENI
	for _, ids := range idBatches(q.IDs, eniIDsPerCall) {
		got, total, err := c.describeENIs(ctx, q, ids)
		if err != nil {
			return nil, err
		}
		if len(q.Tags) > 0 {
			if err := truncated(q, len(got), total); err != nil {
				return nil, err
			}
		}
		out = append(out, got...)
	}
	out = uniqueBy(out, func(e cloud.ENI) string { return e.ID })
	// The API takes a tag without a value as "any value"; the query asks
	// for an empty one.
	out = slices.DeleteFunc(out, func(e cloud.ENI) bool { return !hasTags(e.Tags, q.Tags) })
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

// describeENIs pages one query (one batch of IDs) to the end; total is the
// largest TotalCount of its answers.
func (c *Client) describeENIs(ctx context.Context, q cloud.ENIQuery, ids []string) (got []cloud.ENI, total int, err error) {
	const action = "DescribeNetworkInterfaces"
	base := ecs.DescribeNetworkInterfacesRequest{
		RegionId:           ptr(c.region),
		MaxResults:         ptr(int32(eniPageSize)),
		NetworkInterfaceId: ptrs(ids),
		VpcId:              nonEmpty(q.VPCID),
		VSwitchId:          nonEmpty(q.VSwitchID),
		InstanceId:         nonEmpty(q.InstanceID),
		SecurityGroupId:    nonEmpty(q.SecurityGroupID),
		Type:               nonEmpty(q.Type),
	}
	for _, k := range sortedKeys(q.Tags) {
		base.Tag = append(base.Tag, &ecs.DescribeNetworkInterfacesRequestTag{Key: ptr(k), Value: nonEmpty(q.Tags[k])})
	}
	err = follow(action, func(token *string) (string, error) {
		var next string
		_, err := c.callECS(ctx, action, func(sdk *ecs.Client, rt *dara.RuntimeOptions) error {
			req := base
			req.NextToken = token
			resp, err := sdk.DescribeNetworkInterfacesWithOptions(&req, rt)
			if err != nil {
				return err
			}
			if resp == nil || resp.Body == nil {
				return errEmptyAnswer
			}
			b := resp.Body
			total = max(total, int(deref(b.TotalCount)))
			if b.NetworkInterfaceSets != nil {
				for _, n := range b.NetworkInterfaceSets.NetworkInterfaceSet {
					e, err := eniFrom(n)
					if err != nil {
						return err
					}
					got = append(got, e)
				}
			}
			next = deref(b.NextToken)
			return nil
		})
		return next, err
	})
	return got, total, err
}

// truncated reports a query by tag the API answered in part.
func truncated(q cloud.ENIQuery, returned, total int) error {
	if total <= returned && returned < ENITagQueryLimit {
		return nil
	}
	matched := fmt.Sprintf("%d ENIs match", total)
	if total <= returned {
		matched = fmt.Sprintf("at least %d ENIs match", returned)
	}
	return &cloud.APIError{
		Kind: cloud.KindTruncated,
		Message: fmt.Sprintf("DescribeNetworkInterfaces: %s the tags %s, but the API answers a query by tag with at most %d ENIs (this one returned %d); narrow the selector (a VPC, a vSwitch, more tags) so that fewer match",
			matched, formatTags(q.Tags), ENITagQueryLimit, returned),
	}
}

type sdkENI = ecs.DescribeNetworkInterfacesResponseBodyNetworkInterfaceSetsNetworkInterfaceSet

func eniFrom(n *sdkENI) (cloud.ENI, error) {
	if n == nil || deref(n.NetworkInterfaceId) == "" {
		return cloud.ENI{}, malformed("DescribeNetworkInterfaces", "an ENI without NetworkInterfaceId")
	}
	e := cloud.ENI{
		ID:         deref(n.NetworkInterfaceId),
		Type:       deref(n.Type),
		Status:     deref(n.Status),
		VPCID:      deref(n.VpcId),
		VSwitchID:  deref(n.VSwitchId),
		InstanceID: deref(n.InstanceId),
	}
	if n.SecurityGroupIds != nil {
		for _, sg := range n.SecurityGroupIds.SecurityGroupId {
			if id := deref(sg); id != "" {
				e.SecurityGroupIDs = append(e.SecurityGroupIDs, id)
			}
		}
	}
	if n.Tags != nil {
		for _, t := range n.Tags.Tag {
			if t != nil {
				e.Tags = addTag(e.Tags, deref(t.TagKey), deref(t.TagValue))
			}
		}
	}
	return e, nil
}

// hasTags reports whether have holds every tag of want, values included.
func hasTags(have, want cloud.Tags) bool {
	for k, v := range want {
		if hv, ok := have[k]; !ok || hv != v {
			return false
		}
	}
	return true
}

func sortedKeys(t cloud.Tags) []string {
	keys := make([]string, 0, len(t))
	for k := range t {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func formatTags(t cloud.Tags) string {
	parts := make([]string, 0, len(t))
	for _, k := range sortedKeys(t) {
		parts = append(parts, k+"="+t[k])
	}
	return strings.Join(parts, ",")
}
