package spec

import (
	"fmt"
	"sort"
)

// The region lists. A spec's region must be in regions, unless the spec is
// for an endpoint other than Alibaba Cloud's (LoadOptions.AnyRegion); a
// region missing from mirrorRegions only gets a warning.
//
// Sources: the public region IDs as Alibaba Cloud lists them (the VPC
// DescribeRegions operation, help.aliyun.com/document_detail/36063.html,
// which the SDK's request docs name for "the most recent region list"), and
// the finance and government regions of the endpoint map of
// github.com/alibabacloud-go/vpc-20160428/v6 v6.12.8 (client/client.go; its
// internal and test IDs are left out). Where Traffic Mirror is offered
// follows the service's overview (help.aliyun.com/document_detail/207513.html,
// cited by the SDK's CreateTrafficMirrorSession docs); the list errs on the
// generous side: a region is left out only where the service is not
// offered (the finance and government regions, the retired Mumbai and
// Sydney), so a warning is never raised against a working region. Keep both
// lists sorted; add a region when Alibaba Cloud opens one (until then,
// --endpoint vpc.REGION.aliyuncs.com skips the check).
var (
	regions = []string{
		"ap-northeast-1", // Japan (Tokyo)
		"ap-northeast-2", // South Korea (Seoul)
		"ap-south-1",     // India (Mumbai)
		"ap-southeast-1", // Singapore
		"ap-southeast-2", // Australia (Sydney)
		"ap-southeast-3", // Malaysia (Kuala Lumpur)
		"ap-southeast-5", // Indonesia (Jakarta)
		"ap-southeast-6", // Philippines (Manila)
		"ap-southeast-7", // Thailand (Bangkok)
		"ap-southeast-8", // Malaysia (Johor)
		"cn-beijing",
		"cn-beijing-finance-1",
		"cn-chengdu",
		"cn-fuzhou", // Fuzhou, local region
		"cn-guangzhou",
		"cn-hangzhou",
		"cn-hangzhou-finance",
		"cn-heyuan",
		"cn-hongkong",
		"cn-huhehaote", // Hohhot
		"cn-nanjing",   // Nanjing, local region
		"cn-north-2-gov-1",
		"cn-qingdao",
		"cn-shanghai",
		"cn-shanghai-finance-1",
		"cn-shenzhen",
		"cn-shenzhen-finance-1",
		"cn-wuhan-lr",   // Wuhan, local region
		"cn-wulanchabu", // Ulanqab
		"cn-zhangjiakou",
		"eu-central-1",   // Germany (Frankfurt)
		"eu-west-1",      // UK (London)
		"me-central-1",   // Saudi Arabia (Riyadh)
		"me-east-1",      // UAE (Dubai)
		"na-south-1",     // Mexico
		"us-east-1",      // US (Virginia)
		"us-southeast-1", // US (Atlanta)
		"us-west-1",      // US (Silicon Valley)
	}
	mirrorRegions = []string{
		"ap-northeast-1",
		"ap-northeast-2",
		"ap-southeast-1",
		"ap-southeast-3",
		"ap-southeast-5",
		"ap-southeast-6",
		"ap-southeast-7",
		"cn-beijing",
		"cn-chengdu",
		"cn-fuzhou",
		"cn-guangzhou",
		"cn-hangzhou",
		"cn-heyuan",
		"cn-hongkong",
		"cn-huhehaote",
		"cn-nanjing",
		"cn-qingdao",
		"cn-shanghai",
		"cn-shenzhen",
		"cn-wuhan-lr",
		"cn-wulanchabu",
		"cn-zhangjiakou",
		"eu-central-1",
		"eu-west-1",
		"me-central-1",
		"me-east-1",
		"na-south-1",
		"us-east-1",
		"us-west-1",
	}
)

// KnownRegion reports whether id is an Alibaba Cloud region ID.
func KnownRegion(id string) bool { return inSorted(regions, id) }

// MirrorRegion reports whether Traffic Mirror is offered in region id.
func MirrorRegion(id string) bool { return inSorted(mirrorRegions, id) }

func inSorted(list []string, id string) bool {
	i := sort.SearchStrings(list, id)
	return i < len(list) && list[i] == id
}

// checkRegionIDs refuses a stack whose region is not an Alibaba Cloud
// region and warns about one where Traffic Mirror is not offered. It points
// at the region: value of the first file that sets it.
func checkRegionIDs(stacks []*builder, d *diags) {
	for _, b := range stacks {
		at, ok := b.set["region"]
		id := b.st.Region
		if !ok || id == "" {
			continue
		}
		if problem, hint := unknownRegion(id); problem != "" {
			d.add(at.pos, hint, "region %q %s", id, problem)
			continue
		}
		if !MirrorRegion(id) {
			b.st.Warnings = append(b.st.Warnings, Diagnostic{
				Pos:     at.pos,
				Message: fmt.Sprintf("Traffic Mirror is not offered in region %s", id),
				Hint:    "the API refuses Traffic Mirror calls there; if the service has come to this region since this version of tmsync, ignore this warning",
			})
		}
	}
}
