/** @file placeholder */
export const bridge = { defaultBackend: (): string => "cpu" };
