package aliyun

import (
	"context"
	"sort"

	"github.com/alibabacloud-go/tea/dara"
	vpc "github.com/alibabacloud-go/vpc-20160428/v6/client"

	"github.com/tmsync/tmsync/internal/cloud"
)

// Limits of the generic tag calls (reference §3.15).
const (
	maxTagResources = 20 // ResourceId.N per call
	maxTagsPerCall  = 20 // Tag.N or TagKey.N per call
	tagListPageSize = 50 // ListTagResources MaxResults
	maxIDsPerList   = 100
	pageSize        = 100
)

// TagResources sets tags on resources, in as many calls as the API's limits
// of 20 resources and 20 tags a call need.
func (c *Client) TagResources(ctx context.Context, resourceType string, ids []string, tags cloud.Tags) error {
	keys := tags.Keys()
	for _, idb := range chunks(ids, maxTagResources) {
		for _, kb := range chunks(keys, maxTagsPerCall) {
			req := &vpc.TagResourcesRequest{
				RegionId:     ptr(c.region),
				ResourceType: ptr(resourceType),
				ResourceId:   ptrs(idb),
			}
			for _, k := range kb {
				req.Tag = append(req.Tag, &vpc.TagResourcesRequestTag{Key: ptr(k), Value: ptr(tags[k])})
			}
			err := c.simple(ctx, "TagResources", func(sdk *vpc.Client, rt *dara.RuntimeOptions) (bool, error) {
				resp, err := sdk.TagResourcesWithOptions(req, rt)
				return resp != nil && resp.Body != nil, err
			})
			if err != nil {
				return err
			}
		}
	}
	return nil
}

// UntagResources removes tag keys from resources, in batches of 20
// resources and 20 keys.
func (c *Client) UntagResources(ctx context.Context, resourceType string, ids []string, keys []string) error {
	keys = append([]string(nil), keys...)
	sort.Strings(keys)
	for _, idb := range chunks(ids, maxTagResources) {
		for _, kb := range chunks(keys, maxTagsPerCall) {
			req := &vpc.UnTagResourcesRequest{
				RegionId:     ptr(c.region),
				ResourceType: ptr(resourceType),
				ResourceId:   ptrs(idb),
				TagKey:       ptrs(kb),
			}
			err := c.simple(ctx, "UnTagResources", func(sdk *vpc.Client, rt *dara.RuntimeOptions) (bool, error) {
				resp, err := sdk.UnTagResourcesWithOptions(req, rt)
				return resp != nil && resp.Body != nil, err
			})
			if err != nil {
				return err
			}
		}
	}
	return nil
}

// ListTagResources returns the tags of each resource, in batches of 20
// resources, reading every page (50 a page). Resources without tags are
// absent from the map.
func (c *Client) ListTagResources(ctx context.Context, resourceType string, ids []string) (map[string]cloud.Tags, error) {
	out := map[string]cloud.Tags{}
	for _, idb := range idBatches(ids, maxTagResources) {
		if len(idb) == 0 {
			// The API wants resource IDs or tags; with neither there is
			// nothing tmsync asked about.
			break
		}
		req := &vpc.ListTagResourcesRequest{
			RegionId:     ptr(c.region),
			ResourceType: ptr(resourceType),
			ResourceId:   ptrs(idb),
			MaxResults:   ptr(int32(tagListPageSize)),
		}
		err := c.pages(ctx, "ListTagResources", func(sdk *vpc.Client, rt *dara.RuntimeOptions, token *string) (string, error) {
			req.NextToken = token
			resp, err := sdk.ListTagResourcesWithOptions(req, rt)
			if err != nil {
				return "", err
			}
			if resp == nil || resp.Body == nil {
				return "", errEmptyAnswer
			}
			if resp.Body.TagResources != nil {
				for _, t := range resp.Body.TagResources.TagResource {
					if t == nil || deref(t.ResourceId) == "" {
						continue
					}
					id := deref(t.ResourceId)
					out[id] = addTag(out[id], deref(t.TagKey), deref(t.TagValue))
				}
			}
			return deref(resp.Body.NextToken), nil
		})
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// MoveResourceGroup moves one resource to another resource group.
func (c *Client) MoveResourceGroup(ctx context.Context, resourceType, id, resourceGroupID string) error {
	req := &vpc.MoveResourceGroupRequest{
		RegionId:           ptr(c.region),
		ResourceType:       ptr(resourceType),
		ResourceId:         ptr(id),
		NewResourceGroupId: ptr(resourceGroupID),
	}
	return c.simple(ctx, "MoveResourceGroup", func(sdk *vpc.Client, rt *dara.RuntimeOptions) (bool, error) {
		resp, err := sdk.MoveResourceGroupWithOptions(req, rt)
		return resp != nil && resp.Body != nil, err
	})
}

// GetServiceStatus reports whether Traffic Mirror is open in the region.
func (c *Client) GetServiceStatus(ctx context.Context) (bool, error) {
	var enabled bool
	_, err := c.call(ctx, "GetTrafficMirrorServiceStatus", func(sdk *vpc.Client, rt *dara.RuntimeOptions) error {
		resp, err := sdk.GetTrafficMirrorServiceStatusWithOptions(
			&vpc.GetTrafficMirrorServiceStatusRequest{RegionId: ptr(c.region)}, rt)
		if err != nil {
			return err
		}
		if resp == nil || resp.Body == nil {
			return errEmptyAnswer
		}
		if resp.Body.Enabled == nil {
			return malformed("GetTrafficMirrorServiceStatus", "the answer has no Enabled")
		}
		enabled = *resp.Body.Enabled
		return nil
	})
	return enabled, err
}

// OpenService opens Traffic Mirror in the region. A service that is open
// already is not an error.
//
// The API takes no DryRun here, so a dry run sends nothing and answers
// KindDryRunPassed with a message that says the API did not check it.
func (c *Client) OpenService(ctx context.Context, opts cloud.WriteOptions) error {
	const action = "OpenTrafficMirrorService"
	if opts.DryRun {
		return &cloud.APIError{Kind: cloud.KindDryRunPassed, Code: "DryRunOperation",
			Message: action + " has no dry run; the request was not sent"}
	}
	req := &vpc.OpenTrafficMirrorServiceRequest{RegionId: ptr(c.region), ClientToken: nonEmpty(opts.Token)}
	err := c.simple(ctx, action, func(sdk *vpc.Client, rt *dara.RuntimeOptions) (bool, error) {
		resp, err := sdk.OpenTrafficMirrorServiceWithOptions(req, rt)
		return resp != nil && resp.Body != nil, err
	})
	if cloud.IsKind(err, cloud.KindAlreadyOpen) {
		return nil
	}
	return err
}
