package emulator

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func admin(t *testing.T, srv *Server, method, path, body string, out any) int {
	t.Helper()
	req, _ := http.NewRequest(method, srv.URL()+"/_emulator/"+path, strings.NewReader(body))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s %s: %q: %v", method, path, b, err)
		}
	}
	return resp.StatusCode
}

func TestAdminEndpoints(t *testing.T) {
	srv := start(t, Options{})
	rc := newRaw(srv)
	st, m, _ := rc.call("CreateTrafficMirrorFilter", map[string]string{"RegionId": testRegion, "ClientToken": "a1"})
	if st != 200 {
		t.Fatalf("create = %d %v", st, m)
	}
	id := m["TrafficMirrorFilterId"].(string)
	rc.call("DescribeNothing", map[string]string{})

	var stats Stats
	if code := admin(t, srv, "GET", "stats", "", &stats); code != 200 {
		t.Fatalf("GET stats = %d", code)
	}
	if diff := cmp.Diff(srv.Stats(), stats); diff != "" {
		t.Errorf("GET stats differs from Stats() (-Stats +GET):\n%s", diff)
	}
	if stats.Calls["CreateTrafficMirrorFilter"] != 1 || stats.Errors["InvalidApi.NotFound"] != 1 ||
		len(stats.Writes[id]) != 1 || stats.Writes[id][0].ClientToken != "a1" || stats.Creates[typeFilter] != 1 {
		t.Errorf("stats = %+v", stats)
	}
	admin(t, srv, "POST", "stats/reset", "", nil)
	if s := srv.Stats(); len(s.Calls) != 0 || len(s.Writes) != 0 {
		t.Errorf("stats after reset = %+v", s)
	}

	// Faults, as a spec string or as JSON.
	var faults []Fault
	if code := admin(t, srv, "POST", "faults", "ListTrafficMirrorFilters:throttle:1:1", &faults); code != 200 || len(faults) != 1 {
		t.Fatalf("POST faults (spec) = %d %v", code, faults)
	}
	if st, m, _ := rc.call("ListTrafficMirrorFilters", map[string]string{"RegionId": testRegion}); st != 400 || m["Code"] != "Throttling.User" {
		t.Errorf("after POST faults: %d %v", st, m)
	}
	if code := admin(t, srv, "POST", "faults", `[{"action":"*","kind":"latency","duration":"5ms","count":2}]`, &faults); code != 200 || faults[0].Duration != 5*time.Millisecond {
		t.Errorf("POST faults (JSON) = %d %+v", code, faults)
	}
	if code := admin(t, srv, "POST", "faults", "*:nonsense", nil); code != 400 {
		t.Errorf("bad faults = %d, want 400", code)
	}
	admin(t, srv, "GET", "faults", "", &faults)
	if len(faults) != 1 || faults[0].Kind != FaultLatency {
		t.Errorf("GET faults = %+v", faults)
	}
	admin(t, srv, "POST", "faults", "", nil)

	// Inventory.
	yml := "network_interfaces:\n  - id: eni-a\n    region: cn-hongkong\n    vswitch_id: vsw-1\n    instance_id: i-1\n    security_group_ids: [sg-1]\n    tags: {team: net}\nload_balancers:\n  - id: lb-1\n"
	var inv *Inventory
	if code := admin(t, srv, "POST", "inventory", yml, &inv); code != 200 || inv == nil || len(inv.NetworkInterfaces) != 1 {
		t.Fatalf("POST inventory = %d %+v", code, inv)
	}
	if st, m, _ := rc.call("CreateTrafficMirrorSession", map[string]string{"RegionId": testRegion, "TrafficMirrorFilterId": id,
		"TrafficMirrorSourceIds.1": "eni-b", "TrafficMirrorTargetId": "lb-1", "TrafficMirrorTargetType": "SLB", "Priority": "1"}); st != 404 || m["Code"] != "ResourceNotFound.NetworkInterface" {
		t.Errorf("unlisted ENI after POST inventory = %d %v", st, m)
	}
	admin(t, srv, "GET", "inventory", "", &inv)
	if inv == nil || inv.NetworkInterfaces[0].Tags["team"] != "net" {
		t.Errorf("GET inventory = %+v", inv)
	}
	if code := admin(t, srv, "POST", "inventory", "network_interfaces: [{id: bad}]", nil); code != 400 {
		t.Errorf("bad inventory = %d", code)
	}
	admin(t, srv, "POST", "inventory", "null", nil)
	if srv.Inventory() != nil {
		t.Errorf("POST inventory null must restore any-ID mode")
	}

	// Hold and release.
	var hold struct{ ID string }
	admin(t, srv, "POST", "hold", `{"actions":["ListTrafficMirrorSessions"]}`, &hold)
	var wg sync.WaitGroup
	var status int
	wg.Add(1)
	go func() {
		defer wg.Done()
		status, _, _ = newRaw(srv).call("ListTrafficMirrorSessions", map[string]string{"RegionId": testRegion})
	}()
	eventually(t, "the held request to arrive", func() bool {
		srv.mu.Lock()
		defer srv.mu.Unlock()
		return len(srv.holds) == 1
	})
	if st, _, _ := rc.call("ListTrafficMirrorFilters", map[string]string{"RegionId": testRegion}); st != 200 {
		t.Errorf("an action not held = %d", st)
	}
	if code := admin(t, srv, "POST", "release", `{"id":"999"}`, nil); code != 404 {
		t.Errorf("release of an unknown hold = %d", code)
	}
	admin(t, srv, "POST", "release", `{"id":"`+hold.ID+`"}`, nil)
	wg.Wait()
	if status != 200 {
		t.Errorf("held request after release = %d", status)
	}

	// Service switch and reset.
	admin(t, srv, "POST", "service", `{"region":"cn-beijing","open":false}`, nil)
	if st, m, _ := rc.call("GetTrafficMirrorServiceStatus", map[string]string{"RegionId": "cn-beijing"}); st != 200 || m["Enabled"] != false {
		t.Errorf("closed region = %d %v", st, m)
	}
	admin(t, srv, "POST", "reset", "", nil)
	if st, m, _ := rc.call("ListTrafficMirrorFilters", map[string]string{"RegionId": testRegion}); st != 200 || m["TotalCount"] != "0" {
		t.Errorf("after reset = %d %v", st, m)
	}
	if st, m, _ := rc.call("CreateTrafficMirrorFilter", map[string]string{"RegionId": testRegion, "ClientToken": "a1"}); st != 200 || m["TrafficMirrorFilterId"] == id {
		t.Errorf("reset must forget tokens: %d %v", st, m)
	}
	if code := admin(t, srv, "GET", "nothing", "", nil); code != 404 {
		t.Errorf("unknown admin path = %d", code)
	}
	var dump map[string]any
	admin(t, srv, "GET", "state", "", &dump)
	if dump["secret"] != "" || dump["regions"] == nil {
		t.Errorf("GET state = %v", dump)
	}
}

func TestLoadInventory(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(body), 0o600)
		return p
	}
	cases := map[string]struct {
		reason  string
		file    string
		want    *Inventory
		wantErr bool
	}{
		"yaml": {reason: "YAML with every field",
			file: write("inv.yaml", "network_interfaces:\n  - id: eni-a\n    region: cn-hangzhou\n    vpc_id: vpc-1\n    vswitch_id: vsw-1\n    instance_id: i-1\n    security_group_ids: [sg-1, sg-2]\n    tags: {k: v}\nload_balancers:\n  - id: lb-x\n    region: cn-hangzhou\n    address_type: intranet\n"),
			want: &Inventory{
				NetworkInterfaces: []NetworkInterface{{ID: "eni-a", Region: "cn-hangzhou", VPCID: "vpc-1", VSwitchID: "vsw-1", InstanceID: "i-1", SecurityGroupIDs: []string{"sg-1", "sg-2"}, Tags: map[string]string{"k": "v"}}},
				LoadBalancers:     []LoadBalancer{{ID: "lb-x", Region: "cn-hangzhou", AddressType: "intranet"}},
			}},
		"eni details": {reason: "what selectors match on",
			file: write("details.yaml", "network_interfaces:\n  - id: eni-s\n    type: Secondary\n    status: Available\n    zone_id: cn-hangzhou-h\n    name: web\n    description: d\n    primary_ip_address: 10.0.0.5\n    private_ip_addresses: [10.0.0.6]\n    ipv6_addresses: ['2408::5']\n    mac_address: 00:16:3e:00:00:05\n    resource_group_id: rg-1\n    service_managed: true\n"),
			want: &Inventory{NetworkInterfaces: []NetworkInterface{{ID: "eni-s", Type: "Secondary", Status: "Available", ZoneID: "cn-hangzhou-h",
				Name: "web", Description: "d", PrimaryIPAddress: "10.0.0.5", PrivateIPAddresses: []string{"10.0.0.6"}, IPv6Addresses: []string{"2408::5"},
				MACAddress: "00:16:3e:00:00:05", ResourceGroupID: "rg-1", ServiceManaged: true}}}},
		"eni type":    {reason: "Primary or Secondary", file: write("type.yaml", "network_interfaces: [{id: eni-a, type: secondary}]"), wantErr: true},
		"eni status":  {reason: "an ECS status", file: write("status.yaml", "network_interfaces: [{id: eni-a, status: Running}]"), wantErr: true},
		"json":        {reason: "JSON is YAML", file: write("inv.json", `{"network_interfaces":[{"id":"eni-b"}]}`), want: &Inventory{NetworkInterfaces: []NetworkInterface{{ID: "eni-b"}}}},
		"empty":       {reason: "an empty file lists nothing", file: write("empty.yaml", ""), want: &Inventory{}},
		"bad id":      {reason: "ENI IDs look like eni-…", file: write("bad.yaml", "network_interfaces: [{id: i-1}]"), wantErr: true},
		"twice":       {reason: "an ID listed twice", file: write("twice.yaml", "network_interfaces: [{id: eni-a}, {id: eni-a}]"), wantErr: true},
		"unknown key": {reason: "typos are errors", file: write("typo.yaml", "network_interface: []"), wantErr: true},
		"address":     {reason: "intranet or internet", file: write("addr.yaml", "load_balancers: [{id: lb-1, address_type: public}]"), wantErr: true},
		"missing":     {reason: "no such file", file: filepath.Join(dir, "nope.yaml"), wantErr: true},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := LoadInventory(tc.file)
			if (err != nil) != tc.wantErr {
				t.Fatalf("%s: err = %v, want error %v", tc.reason, err, tc.wantErr)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s (-want +got):\n%s", tc.reason, diff)
			}
		})
	}
}
