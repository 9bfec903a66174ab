package archtest

// Module is the import path of tmsync's module; the rules name its
// packages relative to it (see Local).
const Module = "github.com/tmsync/tmsync"

// Local returns the import path of the package at rel in the module, or
// the pattern of every package of the module for "...".
func Local(rel string) string { return Module + "/" + rel }

// Boundaries are the packages that must not depend on others. Production
// code only: a package's tests may import what its rule forbids (the
// emulator's tests drive it through the SDK, the plan's could use a fake
// client).
var Boundaries = []Boundary{
	{
		Package:       Local("internal/plan"),
		MustNotImport: []string{Local("internal/apply"), Local("internal/emulator"), Local("internal/cloud/aliyun")},
		Why:           "plan.Compute is pure: it takes desired and live state, never a client or the executor",
	},
	{
		Package:       Local("internal/apply"),
		MustNotImport: []string{Local("internal/emulator"), Local("internal/cloud/aliyun")},
		Why:           "apply runs steps through the cloud.Client interface, whatever is behind it",
	},
	{
		Package:       Local("internal/emulator"),
		MustNotImport: []string{Local("...")},
		Why:           "the emulator behaves like the service, not like tmsync, and is reached only over HTTP",
	},
	{
		Package: Local("internal/spec"),
		MustNotImport: []string{Local("internal/plan"), Local("internal/apply"),
			Local("internal/cloud/aliyun"), Local("internal/emulator")},
		Why: "a spec loads and validates without knowing how it is planned, applied or talked to",
	},
	{
		Package:       Local("internal/engine"),
		MustNotImport: []string{Local("internal/emulator"), Local("internal/cloud/aliyun")},
		Why:           "the engine owns a run over a cloud.Client; the CLI picks the endpoint",
	},
	{
		Package:       Local("internal/traffic"),
		MustNotImport: []string{Local("internal/apply"), Local("internal/engine"), Local("internal/emulator"), Local("internal/cloud/aliyun")},
		Why:           "traffic is pure: it reads rules, specs and plans, and never reaches a client, the executor or a run",
	},
	{
		Package:       Local("internal/views"),
		MustNotImport: []string{Local("internal/apply"), Local("internal/engine"), Local("internal/emulator"), Local("internal/cloud/aliyun")},
		Why:           "views render a plan document; they never run or reach anything",
	},
}

// Exclusives are packages only some packages of the module may import.
var Exclusives = []Exclusive{
	{
		Packages:  []string{"github.com/alibabacloud-go/...", "github.com/aliyun/credentials-go/..."},
		Importers: []string{Local("internal/cloud/aliyun")},
		// The emulator's own tests call it through the official SDK, so a
		// wire mistake cannot hide behind a shared code path (its doc).
		TestImporters: []string{Local("internal/cloud/aliyun"), Local("internal/emulator")},
		Why:           "internal/cloud/aliyun is the only package that speaks the SDK; everything else uses cloud.Client",
	},
}
