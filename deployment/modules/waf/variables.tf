variable "name" {
  type = string
}

variable "rate_limit_per_5_minutes" {
  description = "Requests one client address may send in WAF's 5-minute window before it gets 429s. High: fans behind one carrier NAT share an address, and a queue page polls"
  type        = number
  default     = 3000
  validation {
    condition     = var.rate_limit_per_5_minutes >= 100
    error_message = "WAF's rate-based rules take a limit of at least 100."
  }
}

variable "bot_control" {
  description = "Add AWS's Bot Control rule group (common inspection level; billed per request)"
  type        = bool
  default     = false
}
