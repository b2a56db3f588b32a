package core

import "time"

// PublicItem is one line of a city's public list of recent requests: no
// applicant, no apartment, no description (people write phone numbers in
// them), and an address only when it is a building of the registry.
type PublicItem struct {
	Number    string    `bun:"number"`
	Status    Status    `bun:"status"`
	Category  string    `bun:"category_code"`
	CategoryR string    `bun:"category_ru"`
	CategoryE string    `bun:"category_en"`
	Address   string    `bun:"address"`
	District  string    `bun:"district_code"`
	CreatedAt time.Time `bun:"created_at"`
}
