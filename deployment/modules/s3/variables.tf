variable "name" {
  description = "Bucket name prefix (globally unique), e.g. ticketslave-production-123456789012"
  type        = string
}

variable "allowed_origins" {
  description = "Origins allowed to upload images directly"
  type        = list(string)
}

variable "noncurrent_version_days" {
  type    = number
  default = 90
}
