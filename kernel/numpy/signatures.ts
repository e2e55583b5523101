export const SIGNATURES = {};
