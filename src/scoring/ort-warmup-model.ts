/**
 * A 428-byte ONNX graph (MatMul + Add over 30 features: the default model's bytes), embedded so an isolate
 * can instantiate ORT's WASM runtime at startup, before any lead waits for it. It never scores a lead.
 */
export const WARMUP_MODEL = Uint8Array.from(atob("CAgSEGVkZ2UtbGVhZC1yb3V0ZXIaATE6wQIKKgoIZmVhdHVyZXMKBGNvZWYSBm1hcmdpbhoGbGluZWFyIgZNYXRNdWw6AAowCgZtYXJnaW4KCWludGVyY2VwdBIFbG9naXQaDWFkZF9pbnRlcmNlcHQiA0FkZDoAEgpsZWFkX3Njb3JlKoYBCB4IARABIngzZ/E+XvzEPiFG8z+c1oa/ZaFLPxAoTz/wWKE+AlHBPpMgqL7OwCW+txepvkUi/z5GDIs+EtytPkAJHr8TPOk+RitcPpt5PDybtkA+5IGFvu9KF7/TkJe8m5dwPpFRVj6r0mI9XeYkvjTqX75OeCG+dmVcPpcVNj5CBGNvZWYqFQgBEAEiBGFkHcBCCWludGVyY2VwdFobCghmZWF0dXJlcxIPCg0IARIJCgMSAU4KAggeYhgKBWxvZ2l0Eg8KDQgBEgkKAxIBTgoCCAFCBAoAEBFyHQoEZGF0YRIVc3ludGhldGljLWIyYi1sZWFkcy8ychgKBW1vZGVsEg9sZWFkLWNvbnZlcnNpb25yEAoHdmVyc2lvbhIFMS4wLjA="), (ch) => ch.charCodeAt(0));
export const WARMUP_DIM = 30;
