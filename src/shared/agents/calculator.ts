/**
 * A small arithmetic evaluator for the calculator tool: a recursive-descent parser over numbers,
 * `+ - * / % ^`, parentheses, unary signs, a few functions and the constants `pi` and `e`. It never
 * evaluates code: anything else is an error naming the position.
 */

const functions: Readonly<Record<string, { arity: [number, number]; apply: (...args: number[]) => number }>> =
  {
    sqrt: { arity: [1, 1], apply: Math.sqrt },
    abs: { arity: [1, 1], apply: Math.abs },
    round: { arity: [1, 1], apply: Math.round },
    floor: { arity: [1, 1], apply: Math.floor },
    ceil: { arity: [1, 1], apply: Math.ceil },
    ln: { arity: [1, 1], apply: Math.log },
    log: { arity: [1, 1], apply: Math.log10 },
    exp: { arity: [1, 1], apply: Math.exp },
    sin: { arity: [1, 1], apply: Math.sin },
    cos: { arity: [1, 1], apply: Math.cos },
    tan: { arity: [1, 1], apply: Math.tan },
    min: { arity: [1, 20], apply: Math.min },
    max: { arity: [1, 20], apply: Math.max },
    pow: { arity: [2, 2], apply: Math.pow },
  };
const constants: Readonly<Record<string, number>> = { pi: Math.PI, e: Math.E };

export const calculatorFunctions = Object.keys(functions);

export class CalculatorError extends Error {
  constructor(
    message: string,
    readonly position: number,
  ) {
    super(`${message} at position ${position + 1}`);
    this.name = 'CalculatorError';
  }
}

type Token =
  | { type: 'number'; value: number; at: number }
  | { type: 'name'; value: string; at: number }
  | { type: 'op'; value: string; at: number }
  | { type: 'end'; at: number };

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < source.length) {
    const char = source[i]!;
    if (/\s/.test(char)) {
      i++;
      continue;
    }
    const number = /^(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?/.exec(source.slice(i));
    if (number) {
      tokens.push({ type: 'number', value: Number(number[0]), at: i });
      i += number[0].length;
      continue;
    }
    const name = /^[A-Za-z_][A-Za-z0-9_]*/.exec(source.slice(i));
    if (name) {
      tokens.push({ type: 'name', value: name[0].toLowerCase(), at: i });
      i += name[0].length;
      continue;
    }
    if (source.startsWith('**', i)) {
      tokens.push({ type: 'op', value: '^', at: i });
      i += 2;
      continue;
    }
    if ('+-*/%^(),×÷'.includes(char)) {
      tokens.push({ type: 'op', value: char === '×' ? '*' : char === '÷' ? '/' : char, at: i });
      i++;
      continue;
    }
    throw new CalculatorError(`unexpected character '${char}'`, i);
  }
  tokens.push({ type: 'end', at: source.length });
  return tokens;
}

const maxLength = 1_000;
const maxDepth = 100;

/** Evaluates an arithmetic expression. Throws CalculatorError for anything it cannot read or compute. */
export function evaluateExpression(source: string): number {
  if (source.length > maxLength) throw new CalculatorError(`longer than ${maxLength} characters`, maxLength);
  const tokens = tokenize(source);
  let index = 0;
  let depth = 0;
  const peek = () => tokens[index]!;
  const isOp = (value: string) => {
    const token = peek();
    return token.type === 'op' && token.value === value;
  };
  const expect = (value: string) => {
    if (!isOp(value)) throw new CalculatorError(`expected '${value}'`, peek().at);
    index++;
  };

  // expression := term (('+' | '-') term)*
  const expression = (): number => {
    if (++depth > maxDepth) throw new CalculatorError('nested too deeply', peek().at);
    let value = term();
    while (isOp('+') || isOp('-')) {
      const op = (tokens[index++] as { value: string }).value;
      const right = term();
      value = op === '+' ? value + right : value - right;
    }
    depth--;
    return value;
  };
  // term := unary (('*' | '/' | '%') unary)*
  const term = (): number => {
    let value = unary();
    while (isOp('*') || isOp('/') || isOp('%')) {
      const token = tokens[index++] as { value: string; at: number };
      const right = unary();
      if ((token.value === '/' || token.value === '%') && right === 0)
        throw new CalculatorError('division by zero', token.at);
      value = token.value === '*' ? value * right : token.value === '/' ? value / right : value % right;
    }
    return value;
  };
  // unary := ('+' | '-') unary | power
  const unary = (): number => {
    if (isOp('-') || isOp('+')) {
      const op = (tokens[index++] as { value: string }).value;
      if (++depth > maxDepth) throw new CalculatorError('nested too deeply', peek().at);
      const value = unary();
      depth--;
      return op === '-' ? -value : value;
    }
    return power();
  };
  // power := primary ('^' unary)?   (right-associative, binds tighter than a leading minus: -2^2 = -4)
  const power = (): number => {
    const base = primary();
    if (isOp('^')) {
      index++;
      return base ** unary();
    }
    return base;
  };
  // primary := number | constant | name '(' args ')' | '(' expression ')'
  const primary = (): number => {
    const token = peek();
    if (token.type === 'number') {
      index++;
      return token.value;
    }
    if (token.type === 'name') {
      index++;
      const fn = functions[token.value];
      if (fn) {
        expect('(');
        const args = [expression()];
        while (isOp(',')) {
          index++;
          args.push(expression());
        }
        expect(')');
        if (args.length < fn.arity[0] || args.length > fn.arity[1]) {
          throw new CalculatorError(`${token.value} takes ${describeArity(fn.arity)}`, token.at);
        }
        return fn.apply(...args);
      }
      const constant = constants[token.value];
      if (constant !== undefined) return constant;
      throw new CalculatorError(
        `unknown name '${token.value}'; expected a number, pi, e or one of ${calculatorFunctions.join(', ')}`,
        token.at,
      );
    }
    if (isOp('(')) {
      index++;
      const value = expression();
      expect(')');
      return value;
    }
    throw new CalculatorError(token.type === 'end' ? 'unexpected end' : 'expected a number', token.at);
  };

  const value = expression();
  if (peek().type !== 'end') throw new CalculatorError('unexpected input', peek().at);
  if (!Number.isFinite(value)) throw new CalculatorError('the result is not a finite number', 0);
  return value;
}

function describeArity([min, max]: [number, number]): string {
  if (min === max) return `${min} argument${min === 1 ? '' : 's'}`;
  return `${min} to ${max} arguments`;
}
