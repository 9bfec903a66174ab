package aliyun

import (
	"context"

	"github.com/alibabacloud-go/tea/dara"
	vpc "github.com/alibabacloud-go/vpc-20160428/v6/client"

	"github.com/tmsync/tmsync/internal/cloud"
)

// ListSessions returns every session matching in, reading all pages of
// every batch of IDs.
func (c *Client) ListSessions(ctx context.Context, in cloud.ListSessionsInput) ([]cloud.Session, error) {
	var out []cloud.Session
	for _, ids := range idBatches(in.IDs, maxIDsPerList) {
		req := &vpc.ListTrafficMirrorSessionsRequest{
			RegionId:                 ptr(c.region),
			MaxResults:               ptr(int32(pageSize)),
			TrafficMirrorSessionIds:  ptrs(ids),
			TrafficMirrorSessionName: nonEmpty(in.Name),
			TrafficMirrorFilterId:    nonEmpty(in.FilterID),
		}
		for _, k := range in.Tags.Keys() {
			req.Tags = append(req.Tags, &vpc.ListTrafficMirrorSessionsRequestTags{Key: ptr(k), Value: ptr(in.Tags[k])})
		}
		err := c.pages(ctx, "ListTrafficMirrorSessions", func(sdk *vpc.Client, rt *dara.RuntimeOptions, token *string) (string, error) {
			req.NextToken = token
			resp, err := sdk.ListTrafficMirrorSessionsWithOptions(req, rt)
			if err != nil {
				return "", err
			}
			if resp == nil || resp.Body == nil {
				return "", errEmptyAnswer
			}
			for _, s := range resp.Body.TrafficMirrorSessions {
				if s != nil {
					out = append(out, sessionFromWire(s))
				}
			}
			return deref(resp.Body.NextToken), nil
		})
		if err != nil {
			return nil, err
		}
	}
	return uniqueBy(out, func(s cloud.Session) string { return s.ID }), nil
}

// CreateSession creates a session with its tags in one call and returns its
// ID. Enabled is always sent: the API's default (false) is not tmsync's.
func (c *Client) CreateSession(ctx context.Context, in cloud.CreateSessionInput) (string, error) {
	const action = "CreateTrafficMirrorSession"
	req := &vpc.CreateTrafficMirrorSessionRequest{
		RegionId:                        ptr(c.region),
		TrafficMirrorSessionName:        nonEmpty(in.Name),
		TrafficMirrorSessionDescription: nonEmpty(in.Description),
		TrafficMirrorFilterId:           ptr(in.FilterID),
		TrafficMirrorSourceIds:          ptrs(in.SourceIDs),
		TrafficMirrorTargetId:           ptr(in.TargetID),
		TrafficMirrorTargetType:         ptr(in.TargetType),
		Priority:                        ptr(int32(in.Priority)),
		Enabled:                         ptr(in.Enabled),
		ResourceGroupId:                 nonEmpty(in.ResourceGroupID),
	}
	if in.VNI != nil {
		req.VirtualNetworkId = ptr(int32(*in.VNI))
	}
	if in.PacketLength != 0 {
		req.PacketLength = ptr(int32(in.PacketLength))
	}
	for _, k := range in.Tags.Keys() {
		req.Tag = append(req.Tag, &vpc.CreateTrafficMirrorSessionRequestTag{Key: ptr(k), Value: ptr(in.Tags[k])})
	}
	req.ClientToken, req.DryRun = writeOpts(in.WriteOptions)
	var id string
	_, err := c.call(ctx, action, func(sdk *vpc.Client, rt *dara.RuntimeOptions) error {
		resp, err := sdk.CreateTrafficMirrorSessionWithOptions(req, rt)
		if err != nil {
			return err
		}
		if resp == nil || resp.Body == nil {
			return errEmptyAnswer
		}
		if id = deref(resp.Body.TrafficMirrorSessionId); id == "" {
			return malformed(action, "the answer has no TrafficMirrorSessionId")
		}
		return nil
	})
	return id, err
}

// UpdateSession changes a session in place.
func (c *Client) UpdateSession(ctx context.Context, in cloud.UpdateSessionInput) error {
	req := &vpc.UpdateTrafficMirrorSessionAttributeRequest{
		RegionId:                        ptr(c.region),
		TrafficMirrorSessionId:          ptr(in.ID),
		TrafficMirrorSessionName:        in.Name,
		TrafficMirrorSessionDescription: in.Description,
		TrafficMirrorFilterId:           in.FilterID,
		TrafficMirrorTargetId:           in.TargetID,
		TrafficMirrorTargetType:         in.TargetType,
		Priority:                        int32Ptr(in.Priority),
		VirtualNetworkId:                int32Ptr(in.VNI),
		PacketLength:                    int32Ptr(in.PacketLength),
		Enabled:                         in.Enabled,
	}
	req.ClientToken, req.DryRun = writeOpts(in.WriteOptions)
	return c.simple(ctx, "UpdateTrafficMirrorSessionAttribute", func(sdk *vpc.Client, rt *dara.RuntimeOptions) (bool, error) {
		resp, err := sdk.UpdateTrafficMirrorSessionAttributeWithOptions(req, rt)
		return resp != nil && resp.Body != nil, err
	})
}

// DeleteSession deletes a session. One that does not exist is already
// deleted, except in a dry run.
func (c *Client) DeleteSession(ctx context.Context, id string, opts cloud.WriteOptions) error {
	req := &vpc.DeleteTrafficMirrorSessionRequest{RegionId: ptr(c.region), TrafficMirrorSessionId: ptr(id)}
	req.ClientToken, req.DryRun = writeOpts(opts)
	err := c.simple(ctx, "DeleteTrafficMirrorSession", func(sdk *vpc.Client, rt *dara.RuntimeOptions) (bool, error) {
		resp, err := sdk.DeleteTrafficMirrorSessionWithOptions(req, rt)
		return resp != nil && resp.Body != nil, err
	})
	return goneIsDone(err, opts)
}

// AddSources adds sources to a session in one call; the caller batches
// (contract C7: at most 10, each batch a step with its own token).
func (c *Client) AddSources(ctx context.Context, sessionID string, sourceIDs []string, opts cloud.WriteOptions) error {
	if len(sourceIDs) == 0 {
		return nil
	}
	req := &vpc.AddSourcesToTrafficMirrorSessionRequest{
		RegionId:               ptr(c.region),
		TrafficMirrorSessionId: ptr(sessionID),
		TrafficMirrorSourceIds: ptrs(sourceIDs),
	}
	req.ClientToken, req.DryRun = writeOpts(opts)
	return c.simple(ctx, "AddSourcesToTrafficMirrorSession", func(sdk *vpc.Client, rt *dara.RuntimeOptions) (bool, error) {
		resp, err := sdk.AddSourcesToTrafficMirrorSessionWithOptions(req, rt)
		return resp != nil && resp.Body != nil, err
	})
}

// RemoveSources removes sources from a session in one call; the caller
// batches.
func (c *Client) RemoveSources(ctx context.Context, sessionID string, sourceIDs []string, opts cloud.WriteOptions) error {
	if len(sourceIDs) == 0 {
		return nil
	}
	req := &vpc.RemoveSourcesFromTrafficMirrorSessionRequest{
		RegionId:               ptr(c.region),
		TrafficMirrorSessionId: ptr(sessionID),
		TrafficMirrorSourceIds: ptrs(sourceIDs),
	}
	req.ClientToken, req.DryRun = writeOpts(opts)
	return c.simple(ctx, "RemoveSourcesFromTrafficMirrorSession", func(sdk *vpc.Client, rt *dara.RuntimeOptions) (bool, error) {
		resp, err := sdk.RemoveSourcesFromTrafficMirrorSessionWithOptions(req, rt)
		return resp != nil && resp.Body != nil, err
	})
}

func sessionFromWire(s *vpc.ListTrafficMirrorSessionsResponseBodyTrafficMirrorSessions) cloud.Session {
	out := cloud.Session{
		ID:              deref(s.TrafficMirrorSessionId),
		Name:            deref(s.TrafficMirrorSessionName),
		Description:     deref(s.TrafficMirrorSessionDescription),
		Status:          deref(s.TrafficMirrorSessionStatus),
		BusinessStatus:  deref(s.TrafficMirrorSessionBusinessStatus),
		FilterID:        deref(s.TrafficMirrorFilterId),
		TargetID:        deref(s.TrafficMirrorTargetId),
		TargetType:      deref(s.TrafficMirrorTargetType),
		Priority:        int(deref(s.Priority)),
		VNI:             int(deref(s.VirtualNetworkId)),
		PacketLength:    int(deref(s.PacketLength)),
		Enabled:         deref(s.Enabled),
		ResourceGroupID: deref(s.ResourceGroupId),
		CreationTime:    deref(s.CreationTime),
	}
	for _, id := range s.TrafficMirrorSourceIds {
		if id != nil && *id != "" {
			out.SourceIDs = append(out.SourceIDs, *id)
		}
	}
	for _, t := range s.Tags {
		if t != nil {
			out.Tags = addTag(out.Tags, deref(t.Key), deref(t.Value))
		}
	}
	return out
}
