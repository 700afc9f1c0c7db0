import { describe, expect, it } from 'vitest';
import { CalculatorError, evaluateExpression } from '../../src/shared/agents/calculator.js';

describe('the calculator', () => {
  it('follows precedence, associativity and parentheses', () => {
    expect(evaluateExpression('1 + 2 * 3')).toBe(7);
    expect(evaluateExpression('(1 + 2) * 3')).toBe(9);
    expect(evaluateExpression('10 - 4 - 3')).toBe(3);
    expect(evaluateExpression('2 ^ 3 ^ 2')).toBe(512);
    expect(evaluateExpression('-2 ^ 2')).toBe(-4);
    expect(evaluateExpression('2 ** 10 % 1000')).toBe(24);
    expect(evaluateExpression('--3 + +1')).toBe(4);
    expect(evaluateExpression('1.5e3 / .5')).toBe(3000);
  });

  it('knows its functions and constants', () => {
    expect(evaluateExpression('sqrt(16) + abs(-2) + max(1, 7, 3) + min(4, 2)')).toBe(15);
    expect(evaluateExpression('round(pi * 100) / 100')).toBe(3.14);
    expect(evaluateExpression('ln(e)')).toBe(1);
    expect(evaluateExpression('pow(2, 8)')).toBe(256);
  });

  it('refuses anything that is not arithmetic, naming where', () => {
    expect(() => evaluateExpression('process.exit(1)')).toThrow(CalculatorError);
    expect(() => evaluateExpression('process + 1')).toThrow(/unknown name 'process'/);
    expect(() => evaluateExpression('2 + ; 3')).toThrow(/unexpected character ';' at position 5/);
    expect(() => evaluateExpression('(1 + 2')).toThrow(/expected '\)'/);
    expect(() => evaluateExpression('1 / 0')).toThrow(/division by zero/);
    expect(() => evaluateExpression('sqrt(1, 2)')).toThrow(/sqrt takes 1 argument/);
    expect(() => evaluateExpression('')).toThrow(/unexpected end/);
    expect(() => evaluateExpression('1 2')).toThrow(/unexpected input/);
    expect(() => evaluateExpression('10 ^ 400')).toThrow(/not a finite number/);
    expect(() => evaluateExpression(`${'('.repeat(200)}1${')'.repeat(200)}`)).toThrow(/nested too deeply/);
  });
});
