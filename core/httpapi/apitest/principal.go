package apitest

import (
	"fmt"
	"net/http"
)

// Principal is who sends a scenario's request. The zero value is anonymous.
type Principal struct {
	// City is the principal's city; "" is the client's city. A principal of
	// another city calling this city's API is the attacker of isolation
	// scenarios.
	City string
	// Login of the account; "" is anonymous.
	Login string
	// Password of the account; "" is the demo password.
	Password string
	// Vendor: the account is the vendor's super-admin, logged in through
	// the vendor API rather than a city's.
	Vendor bool
	// Org: an operator of this organization (its code), invited by the
	// city admin on first use.
	Org string
	// Token is sent as it is, without logging in: a forged, expired or
	// foreign token.
	Token string
}

// The demo accounts every demo city has (password "demo"), and the vendor.
var (
	Anonymous  = Principal{}
	Citizen    = Principal{Login: "citizen"}
	Dispatcher = Principal{Login: "dispatcher"}
	// Operator is the demo operator, of the city's demo management company.
	Operator  = Principal{Login: "operator"}
	Analyst   = Principal{Login: "analyst"}
	CityAdmin = Principal{Login: "admin"}
	Vendor    = Principal{Login: "vendor", Vendor: true}
)

// OperatorOf is an operator of the organization with code org.
func OperatorOf(org string) Principal {
	return Principal{Login: "op-" + org, Password: "operator of " + org, Org: org}
}

// Account is a principal with its own password (an invited user, a custom role).
func Account(login, password string) Principal {
	return Principal{Login: login, Password: password}
}

// Of is the same principal in another city.
func (p Principal) Of(city string) Principal {
	p.City = city
	return p
}

func (p Principal) String() string {
	switch {
	case p.Token != "":
		return "token"
	case p.Login == "":
		return "anonymous"
	case p.Vendor:
		return "vendor " + p.Login
	case p.City != "":
		return p.Login + "@" + p.City
	}
	return p.Login
}

// Token returns the principal's bearer token ("" for anonymous), logging in
// once per principal; an operator of an organization is created first.
func (c *Client) Token(p Principal) string {
	c.T.Helper()
	if p.Token != "" || p.Login == "" {
		return p.Token
	}
	if p.City == "" && !p.Vendor {
		p.City = c.City
	}
	c.shared.mu.Lock()
	tok, ok := c.shared.tokens[p]
	c.shared.mu.Unlock()
	if ok {
		return tok
	}
	password := p.Password
	if password == "" {
		password = DemoPassword
	}
	switch {
	case p.Vendor:
		r := c.Call("POST", "/api/v1/vendor/auth/token", "", map[string]string{"login": p.Login, "password": password})
		if r.Status != http.StatusCreated {
			c.T.Fatalf("vendor login %s: %d %s", p.Login, r.Status, r.Body)
		}
		tok = r.JSON(c.T)["token"].(string)
	case p.Org != "":
		c.invite(p.City, p.Login, password, map[string]any{"role": "org_operator", "organization_id": c.OrgID(p.City, p.Org)})
		tok = c.LoginPassword(p.City, p.Login, password)
	default:
		tok = c.LoginPassword(p.City, p.Login, password)
	}
	c.shared.mu.Lock()
	c.shared.tokens[p] = tok
	c.shared.mu.Unlock()
	return tok
}

// Forget drops the principal's cached token: the next call logs in anew
// (after a logout, a password change, a revoked token).
func (c *Client) Forget(p Principal) {
	if p.City == "" && !p.Vendor {
		p.City = c.City
	}
	c.shared.mu.Lock()
	delete(c.shared.tokens, p)
	c.shared.mu.Unlock()
}

// Invite has the city admin invite a user (fields: role, organization_id,
// name …) and redeems the invitation with password.
func (c *Client) Invite(city, login, password string, fields map[string]any) {
	c.T.Helper()
	c.invite(city, login, password, fields)
}

func (c *Client) invite(city, login, password string, fields map[string]any) {
	c.T.Helper()
	body := map[string]any{"login": login}
	for k, v := range fields {
		body[k] = v
	}
	admin := c.Token(CityAdmin.Of(city))
	r := c.Call("POST", "/t/"+city+"/api/v1/users", admin, body)
	if r.Status != http.StatusCreated {
		c.T.Fatalf("invite %s@%s: %d %s", login, city, r.Status, r.Body)
	}
	tok, _ := r.JSON(c.T)["invite_token"].(string)
	if r := c.Call("POST", "/t/"+city+"/api/v1/auth/invite", "", map[string]string{"token": tok, "password": password}); r.Status != http.StatusOK {
		c.T.Fatalf("redeem the invitation of %s@%s: %d %s", login, city, r.Status, r.Body)
	}
}

// OrgID returns the id of the organization with code org in a city.
func (c *Client) OrgID(city, org string) int64 {
	c.T.Helper()
	r := c.Call("GET", "/t/"+city+"/api/v1/organizations", c.Token(CityAdmin.Of(city)), nil)
	if r.Status != http.StatusOK {
		c.T.Fatalf("organizations of %s: %d %s", city, r.Status, r.Body)
	}
	items, _ := r.JSON(c.T)["items"].([]any)
	for _, it := range items {
		if o, _ := it.(map[string]any); o["code"] == org {
			if id, ok := o["id"].(float64); ok {
				return int64(id)
			}
		}
	}
	c.T.Fatalf("%s has no organization %q", city, org)
	return 0
}

// Path is a path of a city's API: Path("kazan", "/requests") is
// /t/kazan/api/v1/requests.
func Path(city, p string) string { return fmt.Sprintf("/t/%s/api/v1%s", city, p) }
