package core

import (
	"strings"
	"testing"
)

func TestRegistration(t *testing.T) {
	cases := []struct {
		in     Registration
		login  string
		fields []string
	}{
		{Registration{Email: " Anna@Example.org ", Password: "long enough"}, "anna@example.org", nil},
		{Registration{Phone: "+7 (917) 555-44-33", Password: "long enough"}, "+79175554433", nil},
		{Registration{Email: "a@b.org", Phone: "8 917 555 44 33", Password: "long enough"}, "a@b.org", nil},
		{Registration{Phone: "8 (917) 555-44-33", Password: "long enough"}, "+79175554433", nil},
		{Registration{Phone: "917 555 44 33", Password: "long enough"}, "+79175554433", nil},
		{Registration{Phone: "+7 917 555 44 3", Password: "long enough"}, "", []string{"phone"}},
		{Registration{Password: "long enough"}, "", []string{"email"}},
		{Registration{Email: "nope@", Password: "long enough"}, "", []string{"email"}},
		{Registration{Email: "Anna <anna@example.org>", Password: "long enough"}, "", []string{"email"}},
		{Registration{Email: "~x@example.org", Password: "long enough"}, "", []string{"email"}},
		{Registration{Email: strings.Repeat("a", 250) + "@b.org", Password: "long enough"}, "", []string{"email"}},
		{Registration{Phone: "12345", Password: "long enough"}, "", []string{"phone"}},
		{Registration{Phone: "call me", Password: "long enough"}, "", []string{"phone"}},
		{Registration{Phone: "+７９１７５５５４４３３", Password: "long enough"}, "", []string{"phone"}},
		{Registration{Email: "a@b.org", Password: "short"}, "", []string{"password"}},
		{Registration{Email: "a@b.org", Password: strings.Repeat("p", 201)}, "", []string{"password"}},
	}
	for _, tc := range cases {
		u, err := tc.in.User("RU")
		if tc.fields == nil {
			if err != nil || u.Login != tc.login || u.Role != RoleCitizen {
				t.Errorf("%+v: %v %v", tc.in, u, err)
			}
			continue
		}
		e, ok := err.(*Error)
		if !ok || e.Code != EINVALID {
			t.Errorf("%+v: want invalid, got %v", tc.in, err)
			continue
		}
		for _, f := range tc.fields {
			if e.Fields[f].Code == "" {
				t.Errorf("%+v: no message for %s in %v", tc.in, f, e.Fields)
			}
		}
	}
}

func TestPolicyValidate(t *testing.T) {
	ok := []Policy{{"inspector", ObjCategories, ActRead}, {RoleCityAdmin, ObjUsers, ActDelete}}
	bad := []Policy{{RoleVendorAdmin, ObjRequests, ActRead}, {"x", ObjRequests, ActRead}, {"Inspector", ObjRequests, ActRead},
		{"inspector", "tenants", ActRead}, {"inspector", "*", ActRead}, {"inspector", ObjRequests, "*"}, {"inspector", ObjRequests, ""}}
	for _, p := range ok {
		if err := p.Validate(); err != nil {
			t.Errorf("%v: %v", p, err)
		}
	}
	for _, p := range bad {
		if p.Validate() == nil {
			t.Errorf("%v accepted", p)
		}
	}
}
