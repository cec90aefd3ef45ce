import { canonicalForm, parseStripeForm } from './form';
import { StripeApiError } from './errors';

describe('parseStripeForm', () => {
  it('decodes nested keys and indexed arrays as the SDK encodes them', () => {
    const body =
      'mode=payment&line_items[0][price_data][currency]=eur&line_items[0][price_data][unit_amount]=4500' +
      '&line_items[0][price_data][product_data][name]=Floor%20%26%20seats&line_items[0][quantity]=2' +
      '&line_items[1][quantity]=1&expand[]=payment_intent&expand[]=line_items';
    expect(parseStripeForm(body)).toEqual({
      mode: 'payment',
      line_items: [
        {
          price_data: { currency: 'eur', unit_amount: '4500', product_data: { name: 'Floor & seats' } },
          quantity: '2',
        },
        { quantity: '1' },
      ],
      expand: ['payment_intent', 'line_items'],
    });
  });

  it('accepts percent-encoded brackets', () => {
    expect(parseStripeForm('metadata%5BorderId%5D=o-1')).toEqual({ metadata: { orderId: 'o-1' } });
  });

  it('keeps numeric metadata keys as keys, not array positions', () => {
    expect(parseStripeForm('metadata[0]=a&metadata[7]=b')).toEqual({ metadata: { '0': 'a', '7': 'b' } });
  });

  it('orders array items by index, not by arrival', () => {
    expect(parseStripeForm('a[1][x]=second&a[0][x]=first')).toEqual({ a: [{ x: 'first' }, { x: 'second' }] });
  });

  it('refuses a key used both as a value and as a hash', () => {
    expect(() => parseStripeForm('metadata=x&metadata[a]=b')).toThrow(StripeApiError);
  });
});

describe('canonicalForm', () => {
  it('ignores key order but not values', () => {
    expect(canonicalForm(parseStripeForm('a=1&b[c]=2'))).toBe(canonicalForm(parseStripeForm('b[c]=2&a=1')));
    expect(canonicalForm(parseStripeForm('a=1'))).not.toBe(canonicalForm(parseStripeForm('a=2')));
  });
});
