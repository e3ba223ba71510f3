/**
 * Shared SDK client settings: standard retry mode with enough attempts that throttling (EC2's token buckets,
 * EBS direct API rates) is ridden out inside one call. The endpoint comes from AWS_ENDPOINT_URL, which SDK v3
 * honours on its own (the offline cloud sets it).
 */
export const RETRY_CONFIG = { retryMode: 'standard', maxAttempts: 10 } as const;
